"""The scan's result as text for a terminal or a pipeline log."""
PASS_NAMES = {"none": "before a decision", "reject": "after Reject all", "accept": "after Accept all"}
STATUS_NAMES = {"clean": "CLEAN", "violations": "VIOLATIONS FOUND", "failed": "COULD NOT SCAN"}


def evidence_text(evidence):
    """One line naming what set a cookie or made a request."""
    if not evidence:
        return "source not seen"
    if evidence.get("how") == "Set-Cookie":
        initiator = evidence.get("initiator") or {}
        by = f", requested by {evidence_text(initiator)}" if initiator.get("element") or initiator.get("script") else ""
        return f"Set-Cookie from {evidence.get('response')}{by}"
    where = evidence.get("script") or evidence.get("document")
    place = f" ({where}:{evidence['line']})" if where and evidence.get("line") else ""
    what = evidence.get("element") or evidence.get("how", "?")
    prefix = "document.cookie in " if evidence.get("how") == "document.cookie" else ""
    return f"{prefix}{what}{place}"


def _violation_lines(violation):
    pass_name = PASS_NAMES[violation["pass"]]
    if violation["kind"] == "request":
        head = f"[{pass_name}] request to third party {violation['name']}: {violation['url']}"
    elif violation["kind"] == "cookie":
        state = "stored" if violation["stored"] else ("refused by the browser" if violation["blocked"] else "set, then removed")
        head = (f"[{pass_name}] cookie {violation['name']} ({violation['domain']}, {violation['party']} party, {state}): "
                f"{violation['reason']}")
    else:
        head = f"[{pass_name}] {violation['area']} key {violation['name']} ({violation['origin']}): {violation['reason']}"
    lines = [f"  {head}"]
    for evidence in violation["evidence"]:
        lines.append(f"      by {evidence_text(evidence)}")
    lines.append(f"      on {', '.join(violation['pages'])}")
    return lines


def _undeclared_lines(entry):
    guess = entry["guess"]
    known = (f"Open Cookie Database: {guess['known_as']} by {guess['provider']}" if guess else "unknown to the Open Cookie Database")
    lines = [f"  {entry['kind']} {entry['name']} ({entry['party']} party, {entry['where']}; {known}; "
             f"seen {', '.join(PASS_NAMES[kind] for kind in entry['passes'])})"]
    if entry["suggestion"]:
        lines.append("    suggested sites-file block:")
        lines.extend(f"      {line}" for line in entry["suggestion"].splitlines())
    else:
        lines.append("    (this name cannot be declared in the sites file)")
    return lines


def _section(title, items, render):
    lines = ["", f"{title} ({len(items)}):"]
    for item in items:
        lines.extend(render(item))
    return lines


def render(document):
    """The whole report as text."""
    summary = document["summary"]
    lines = [f"Cookie scan of site {document['site']}: {STATUS_NAMES[document['status']]}",
             f"{summary['pages_scanned']} of {summary['pages']} pages scanned in {document['duration_seconds']} s "
             f"(started {document['started_at']}); origins {', '.join(document['origins'])}"]
    if document.get("error"):
        lines.append(f"Could not scan: {document['error']}")
    lines += _section("Violations", document["violations"], _violation_lines)
    lines += _section("Undeclared", document["undeclared"], _undeclared_lines)
    if document["stale"] is None:
        lines += ["", "Stale: not judged (no \"Accept all\" pass completed)."]
    else:
        lines += _section("Stale: declared but never seen", document["stale"],
                          lambda item: [f"  {item['name']} ({item['category']})"])
    new = document.get("new_since_last")
    if new:
        lines += ["", f"New since scan #{new['previous_scan']}: cookies {', '.join(new['cookies']) or 'none'}; "
                      f"third-party hosts {', '.join(new['hosts']) or 'none'}"]
    lines += _section("Warnings", document["warnings"], lambda item: [f"  {item['page']}: {item['text']}"])
    lines += _section("Pages", document["pages"], lambda page: [
        f"  {page['url']}: {page['status']}" + (f" ({'; '.join(page['problems'])})" if page["problems"] else "")])
    lines += _section("Not visited", document["skipped"], lambda item: [f"  {item['url']}: {item['reason']}"])
    lines += ["", f"Exit code {document['exit_code']}."]
    return "\n".join(lines) + "\n"
