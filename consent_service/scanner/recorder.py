"""What the browser tells during one pass: every request with its initiator, every Set-Cookie header
line (stored or blocked), each document's HTML, and the cookie and storage writes reported by the
init script (``instrument.js``). Times are the scanner's monotonic clock at receipt."""
import asyncio
import time
from dataclasses import dataclass, field

from playwright.async_api import Error as PlaywrightError

from .cookie_text import header_lines

BINDING = "__consentScanRecord"
MAX_EVENTS = 5000
MAX_DOCUMENT = 2_000_000


@dataclass
class Hop:
    """One request (one hop of a redirect chain)."""

    request_id: str
    url: str
    type: str
    frame_id: str
    initiator: dict
    at: float


@dataclass
class HeaderCookies:
    """The Set-Cookie lines of one response, with those the browser refused and why."""

    request_id: str
    index: int
    lines: list
    blocked: dict
    at: float


@dataclass
class Recorder:
    """Collects a pass's events from a CDP session and the page binding."""

    hops: list = field(default_factory=list)
    header_cookies: list = field(default_factory=list)
    script_events: list = field(default_factory=list)
    documents: dict = field(default_factory=dict)
    inflight: set = field(default_factory=set)
    last_activity: float = field(default_factory=time.monotonic)
    decision_at: float | None = None
    crashed: bool = False
    _extra_seen: dict = field(default_factory=dict)
    _document_ids: dict = field(default_factory=dict)
    _bodies: list = field(default_factory=list)
    _cdp: object = None

    async def attach(self, context, page):
        """Start listening on ``page`` (all its frames: the browser runs without site isolation)."""
        cdp = self._cdp = await context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", self._on_request)
        cdp.on("Network.responseReceivedExtraInfo", self._on_extra_info)
        cdp.on("Network.responseReceived", self._on_response)
        cdp.on("Network.loadingFinished", self._on_finished)
        cdp.on("Network.loadingFailed", self._on_failed)
        page.on("crash", lambda _page: setattr(self, "crashed", True))
        await cdp.send("Network.enable")

    def on_script_event(self, source, payload):
        """The binding's handler: one write reported by the init script."""
        if isinstance(payload, dict) and len(self.script_events) < MAX_EVENTS:
            self.script_events.append({**payload, "at": time.monotonic()})

    def _touch(self):
        self.last_activity = time.monotonic()

    def _on_request(self, event):
        self._touch()
        request_id = event.get("requestId", "")
        self.inflight.add(request_id)
        if len(self.hops) < MAX_EVENTS:
            self.hops.append(Hop(request_id, event["request"]["url"], event.get("type", "Other"),
                                 event.get("frameId", ""), event.get("initiator") or {}, time.monotonic()))

    def _on_extra_info(self, event):
        self._touch()
        request_id = event.get("requestId", "")
        index = self._extra_seen.get(request_id, 0)
        self._extra_seen[request_id] = index + 1
        lines = header_lines(event.get("headers"))
        blocked = {item.get("cookieLine", ""): item.get("blockedReasons", []) for item in event.get("blockedCookies", [])}
        if lines and len(self.header_cookies) < MAX_EVENTS:
            self.header_cookies.append(HeaderCookies(request_id, index, lines, blocked, time.monotonic()))

    def _on_response(self, event):
        self._touch()
        if event.get("type") == "Document":
            self._document_ids[event["requestId"]] = event["response"]["url"]

    def _on_finished(self, event):
        self._touch()
        request_id = event.get("requestId", "")
        self.inflight.discard(request_id)
        url = self._document_ids.pop(request_id, None)
        if url is not None and self._cdp is not None:
            self._bodies.append(asyncio.ensure_future(self._read_body(request_id, url)))

    def _on_failed(self, event):
        self._touch()
        self.inflight.discard(event.get("requestId", ""))

    async def _read_body(self, request_id, url):
        try:
            body = await self._cdp.send("Network.getResponseBody", {"requestId": request_id})
        except PlaywrightError:  # the page went on; its source is simply not known
            return
        if not body.get("base64Encoded"):
            self.documents[url] = body.get("body", "")[:MAX_DOCUMENT]

    def quiet_for(self):
        """Seconds since the last network event, or 0 while a request is open."""
        return 0.0 if self.inflight else time.monotonic() - self.last_activity

    async def finish(self):
        """Wait for the document sources being read, then stop listening."""
        if self._bodies:
            await asyncio.wait(self._bodies, timeout=5)
        if self._cdp is not None:
            try:
                await asyncio.wait_for(self._cdp.detach(), timeout=2)
            except (PlaywrightError, asyncio.TimeoutError):  # a crashed page has no session left to detach
                pass

    def hop_for_extra(self, header):
        """The request hop whose response carried ``header`` (the n-th response of a redirect chain)."""
        chain = [hop for hop in self.hops if hop.request_id == header.request_id]
        if not chain:
            return None
        return chain[min(header.index, len(chain) - 1)]
