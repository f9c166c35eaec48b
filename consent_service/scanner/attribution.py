"""The element or script behind a request or a cookie write, from what the browser tells: the CDP
initiator of a request (the parser at a line of a document, or a script's stack), or the stack and
running <script> reported by the init script."""
import re

from .html_source import Source

STACK_FRAME = re.compile(r"(https?://[^\s()]+?):(\d+):(\d+)\)?\s*$")
MAX_URL = 300


def cut_url(url):
    return url if len(url) <= MAX_URL else url[: MAX_URL - 1] + "…"


class Attributor:
    """Names elements from the HTML of the documents of one pass."""

    def __init__(self, documents):
        self._documents = documents
        self._sources = {}

    def source(self, url):
        """The indexed source of document ``url``, if the pass saw it."""
        if url not in self._sources:
            html = self._documents.get(url)
            self._sources[url] = Source(html, url) if html is not None else None
        return self._sources[url]

    def _script(self, url, line):
        """A script location (``line`` 0-based) as ``{"script", "line", "element"}``."""
        source = self.source(url)
        inline = source.script_at(line) if source else None
        element = inline.describe() if inline else f'<script src="{cut_url(url)}">'
        return {"script": cut_url(url), "line": line + 1, "element": element}

    def for_initiator(self, initiator, request_url):
        """What made a request: ``{"how": parser|script|..., "element", ...}``."""
        kind = initiator.get("type", "other")
        if kind == "parser" and initiator.get("url"):
            line = initiator.get("lineNumber")
            source = self.source(initiator["url"])
            element = source.element_for_url(request_url, line) if source else None
            return {"how": "parser", "document": cut_url(initiator["url"]),
                    "line": line + 1 if line is not None else None,
                    "element": element.describe() if element else None}
        frames = _call_frames(initiator.get("stack"))
        if frames:
            top = frames[0]
            return {"how": "script", **self._script(top["url"], top.get("lineNumber", 0))}
        return {"how": kind, "element": None}

    def for_write(self, event):
        """What wrote a cookie or storage key, from the init script's report."""
        running = event.get("script") or None
        location = _first_web_frame(event.get("stack", ""))
        found = {"how": "script", "frame": cut_url(event.get("frame", "")), "script": None, "line": None,
                 "element": None}
        if location:
            url, line = location
            found.update(self._script(url, line - 1))
        if running:
            found["element"] = _running_element(running)
        return found


def _call_frames(stack):
    """The first non-empty list of call frames of a CDP stack trace (walking to async parents)."""
    while stack:
        frames = [frame for frame in stack.get("callFrames", []) if frame.get("url", "").startswith("http")]
        if frames:
            return frames
        stack = stack.get("parent")
    return []


def _first_web_frame(stack_text):
    """``(url, 1-based line)`` of the innermost stack frame in a web page's script."""
    for line in str(stack_text).splitlines():
        match = STACK_FRAME.search(line.strip())
        if match:
            return match.group(1), int(match.group(2))
    return None


def _running_element(script):
    """The running <script> as the init script saw it."""
    attributes = ""
    if script.get("type"):
        attributes += f' type="{script["type"]}"'
    if script.get("category"):
        attributes += f' data-consent-category="{script["category"]}"'
    if script.get("src"):
        return f'<script src="{cut_url(script["src"])}"{attributes}>'
    text = " ".join(str(script.get("text") or "").split())
    return f"<script{attributes}> {text[:79] + '…' if len(text) > 80 else text}"
