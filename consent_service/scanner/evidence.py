"""One pass's records, built from what the recorder heard and what the browser holds at the end:
cookies (stored or refused, with who set them), storage keys, and requests to other hosts.

In the "reject" and "accept" passes only what happens from the click on is the pass's own; cookies and
keys the browser still holds at the end are reported whenever they were set."""
from datetime import datetime, timezone
from urllib.parse import urlsplit

from .attribution import Attributor, cut_url
from .cookie_text import parse_cookie
from .parties import FIRST, origin_of

MAX_SETTERS = 3
MAX_REQUESTS = 300


def _iso(moment):
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds") if moment else None


def _key(name, domain):
    return name, (domain or "").lstrip(".").lower()


def _after(event_at, since):
    return since is None or event_at >= since


def cookie_writes(recorder, attributor):
    """Every cookie write of the pass as ``(at, key, write, setter, blocked reasons)``."""
    writes = []
    for header in recorder.header_cookies:
        hop = recorder.hop_for_extra(header)
        url = hop.url if hop else ""
        for line in header.lines:
            write = parse_cookie(line)
            if write is None:
                continue
            setter = {"how": "Set-Cookie", "response": cut_url(url),
                      "initiator": attributor.for_initiator(hop.initiator, hop.url) if hop else None}
            domain = write.domain or urlsplit(url).hostname
            writes.append((header.at, _key(write.name, domain), write, setter, header.blocked.get(line)))
    for event in recorder.script_events:
        if event.get("kind") == "cookie":
            write = parse_cookie(event.get("text", ""))
        elif event.get("kind") == "cookieStore":
            write = parse_cookie(f"{event.get('name')}=; path={event.get('path') or '/'}")
        else:
            continue
        if write is None:
            continue
        setter = {**attributor.for_write(event), "how": "document.cookie" if event["kind"] == "cookie" else "cookieStore"}
        domain = write.domain or urlsplit(event.get("frame", "")).hostname
        writes.append((event["at"], _key(write.name, domain), write, setter, None))
    return writes


def _jar_record(cookie, parties):
    expires = cookie.get("expires", -1)
    return {
        "name": cookie["name"],
        "domain": cookie["domain"].lstrip("."),
        "path": cookie.get("path", "/"),
        "expires": _iso(datetime.fromtimestamp(expires, timezone.utc)) if expires and expires > 0 else None,
        "party": parties.of_cookie_domain(cookie["domain"]),
        "stored": True,
        "blocked": None,
        "set_by": [],
    }


def cookies(recorder, jar, parties, attributor, since):
    """The pass's cookies: held at the end, or set (or refused by the browser) during the pass."""
    found = {_key(cookie["name"], cookie["domain"]): _jar_record(cookie, parties) for cookie in jar}
    for at, key, write, setter, blocked in cookie_writes(recorder, attributor):
        record = found.get(key)
        if record is None:
            if write.deletion or not _after(at, since):
                continue
            record = found[key] = {
                "name": write.name, "domain": key[1], "path": write.path or "/", "expires": _iso(write.expires),
                "party": parties.of_cookie_domain(key[1]), "stored": False, "blocked": None, "set_by": [],
            }
        if write.deletion:
            continue
        if blocked:
            record["blocked"] = sorted(set((record["blocked"] or []) + list(blocked)))
        if len(record["set_by"]) < MAX_SETTERS and setter not in record["set_by"]:
            record["set_by"].append(setter)
    return sorted(found.values(), key=lambda record: (record["party"] != FIRST, record["name"], record["domain"]))


def storage(recorder, snapshot, parties, attributor, since):
    """The pass's Web Storage keys: held at the end, or written during the pass, with who wrote them."""
    found = {}
    for frame in snapshot:
        for area in ("localStorage", "sessionStorage"):
            for key in frame.get(area, []):
                found[(frame["origin"], area, key)] = {
                    "area": area, "origin": frame["origin"], "key": key, "present": True,
                    "party": parties.of_url(frame["origin"]) if frame["origin"] else FIRST, "set_by": [],
                }
    for event in recorder.script_events:
        if event.get("kind") != "storage":
            continue
        origin = origin_of(event.get("frame", "")) or ""
        index = (origin, event.get("area", "localStorage"), event.get("key", ""))
        record = found.get(index)
        if record is None:
            if not _after(event["at"], since):
                continue
            record = found[index] = {"area": index[1], "origin": origin, "key": index[2], "present": False,
                                     "party": parties.of_url(origin) if origin else FIRST, "set_by": []}
        setter = attributor.for_write(event)
        if len(record["set_by"]) < MAX_SETTERS and setter not in record["set_by"]:
            record["set_by"].append(setter)
    return sorted(found.values(), key=lambda record: (record["origin"], record["area"], record["key"]))


def requests(recorder, parties, attributor, since):
    """Requests of the pass to hosts other than the site's, with what made each."""
    frames = {hop.frame_id: hop.url for hop in recorder.hops if hop.type == "Document"}
    found, seen = [], set()
    for hop in recorder.hops:
        if origin_of(hop.url) is None or not _after(hop.at, since):
            continue
        party = parties.of_url(hop.url)
        if party == FIRST or (hop.url, hop.frame_id) in seen:
            continue
        seen.add((hop.url, hop.frame_id))
        found.append({
            "url": cut_url(hop.url), "host": urlsplit(hop.url).netloc, "party": party, "type": hop.type.lower(),
            "frame": cut_url(frames.get(hop.frame_id, "")) or None,
            "initiator": attributor.for_initiator(hop.initiator, hop.url),
        })
        if len(found) >= MAX_REQUESTS:
            break
    return found


def build(recorder, jar, snapshot, parties, since):
    """The records of one pass: ``{"cookies", "storage", "requests"}``."""
    attributor = Attributor(recorder.documents)
    return {
        "cookies": cookies(recorder, jar, parties, attributor, since),
        "storage": storage(recorder, snapshot, parties, attributor, since),
        "requests": requests(recorder, parties, attributor, since),
    }
