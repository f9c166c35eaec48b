"""What a page's HTML source says: the order of <head>, and which element sits at a line.

The browser tells where a request or a script came from as a document address and a line; this module
turns that into the element a person can find in the page's source (``<img src="..." width="1">``).
"""
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

# Elements that may come before the banner's tag in <head>: they load and run nothing.
INERT_HEAD = {"meta", "title", "base"}
URL_ATTRIBUTES = ("src", "href", "data", "action", "poster")
SHOWN_ATTRIBUTES = ("src", "href", "data-site", "data-consent-category", "type", "width", "height", "id", "class")
MAX_ATTRIBUTE = 120
MAX_TEXT = 120
MAX_SOURCE = 2_000_000


@dataclass
class Element:
    """One start tag of the source: its 1-based line span, name, attributes and (for scripts) text."""

    line: int
    tag: str
    attrs: dict
    end_line: int = 0
    text: str = ""
    in_head: bool = False

    def describe(self):
        """The element as a short start tag; an inline script with the start of its text."""
        shown = [f'{name}="{_cut(self.attrs[name], MAX_ATTRIBUTE)}"' for name in SHOWN_ATTRIBUTES
                 if self.attrs.get(name) is not None]
        tag = f"<{self.tag}{''.join(' ' + item for item in shown)}>"
        if self.tag == "script" and "src" not in self.attrs:
            return f"{tag} {_cut(' '.join(self.text.split()), MAX_TEXT)}"
        return tag


def _cut(text, limit):
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class _State:
    elements: list = field(default_factory=list)
    in_head: bool = False
    head_done: bool = False
    open_script: Element | None = None


class _Collector(HTMLParser):
    """Start tags with their lines; script texts; which tags stood in <head>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.state = _State()

    def handle_starttag(self, tag, attrs):
        state = self.state
        if tag == "head" and not state.head_done:
            state.in_head = True
            return
        if tag == "body":
            state.in_head, state.head_done = False, True
        element = Element(self.getpos()[0], tag, {name: (value or "") for name, value in attrs},
                          in_head=state.in_head)
        element.end_line = element.line
        state.elements.append(element)
        if tag == "script":
            state.open_script = element

    def handle_endtag(self, tag):
        state = self.state
        if tag == "head":
            state.in_head, state.head_done = False, True
        if tag == "script" and state.open_script is not None:
            state.open_script.end_line = self.getpos()[0]
            state.open_script = None

    def handle_data(self, data):
        script = self.state.open_script
        if script is not None and len(script.text) < 4 * MAX_TEXT:
            script.text += data


class Source:
    """One document's HTML, indexed by line, for finding the element behind a browser event."""

    def __init__(self, html, url):
        self.url = url
        collector = _Collector()
        try:
            collector.feed(html[:MAX_SOURCE])
            collector.close()
        except (AssertionError, ValueError):  # html.parser gives up on some broken markup
            pass
        self.elements = collector.state.elements

    def element_for_url(self, request_url, line=None):
        """The element whose src/href resolves to ``request_url``, nearest to 0-based ``line`` if given."""
        found = [element for element in self.elements
                 if any(urljoin(self.url, element.attrs[name]) == request_url
                        for name in URL_ATTRIBUTES if element.attrs.get(name))]
        if not found and line is not None:
            found = [element for element in self.elements if element.line == line + 1]
        if not found:
            return None
        if line is None:
            return found[0]
        return min(found, key=lambda element: abs(element.line - (line + 1)))

    def script_at(self, line):
        """The inline <script> whose text spans 0-based ``line``, or None."""
        for element in self.elements:
            if element.tag == "script" and "src" not in element.attrs and element.line <= line + 1 <= element.end_line:
                return element
        return None

    def head_report(self, site_key):
        """Whether the banner's tag for ``site_key`` is in <head>, and first of what can load or run."""
        head = [element for element in self.elements if element.in_head]
        banner = next((index for index, element in enumerate(head) if _is_banner(element, site_key)), None)
        before = [] if banner is None else [element.describe() for element in head[:banner]
                                            if element.tag not in INERT_HEAD]
        anywhere = banner is not None or any(_is_banner(element, site_key) for element in self.elements)
        return {
            "banner_tag_found": anywhere,
            "banner_tag_in_head": banner is not None,
            "banner_tag_first_in_head": banner is not None and not before,
            "before_banner_tag": before[:5],
        }


def _is_banner(element, site_key):
    return (element.tag == "script" and element.attrs.get("data-site") == site_key
            and element.attrs.get("src", "").split("?")[0].endswith("/banner.js"))
