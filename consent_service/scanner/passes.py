"""One pass over one page in a fresh browser context: open it as a first-time visitor; for the
"reject" and "accept" passes click the banner's button and open the page again as the returning
visitor; then read what the browser holds. Anything that goes wrong is a problem of the pass, never
an exception out of it."""
import asyncio
import re
import time
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from . import evidence
from .html_source import Source
from .parties import Parties, origin_of
from .plan import ACCEPT, NONE, REJECT
from .recorder import BINDING, Recorder

BUTTON_TEXT = {REJECT: "reject_all", ACCEPT: "accept_all"}
INSTRUMENT = (Path(__file__).with_name("instrument.js")).read_text(encoding="utf-8")
POLL_SECONDS = 0.1
CRASHED = "the page crashed the browser tab"
MAX_LINKS = 1000
PAGE_FACTS = """(key) => {
  const list = window.dataLayer;
  const first = Array.isArray(list) && list.length ? list[0] : undefined;
  const command = first && typeof first === 'object' && 'length' in first && !Array.isArray(first)
      ? Array.from(first).slice(0, 2).map(String) : null;
  const tag = Array.from(document.querySelectorAll('script[data-site]')).find((s) => s.dataset.site === key);
  return {
    datalayer: Array.isArray(list), first_command: command,
    first_entry: first === undefined || command ? null : String(JSON.stringify(first)).slice(0, 120),
    banner_src: tag ? tag.src : null,
    links: Array.from(document.querySelectorAll('a[href], area[href]'), (a) => a.href).slice(0, %d),
  };
}""" % MAX_LINKS
STORAGE_KEYS = """() => {
  const keys = (name) => { try { return Object.keys(window[name]).slice(0, 200); } catch (e) { return []; } };
  return {origin: location.origin, localStorage: keys('localStorage'), sessionStorage: keys('sessionStorage')};
}"""


class PassStopped(Exception):
    """The pass cannot go on; the message is its last problem."""


async def settle(recorder, plan, dwell=None):
    """Wait, within the plan's cap, until the page has been quiet for a while after a minimum dwell."""
    start = time.monotonic()
    dwell = plan.timing("dwell") if dwell is None else dwell
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= plan.timing("settle_cap"):
            return
        if elapsed >= dwell and recorder.quiet_for() >= plan.timing("quiet"):
            return
        await asyncio.sleep(POLL_SECONDS)


async def _open(page, url, plan, recorder, problems, settled=True):
    """Navigate to ``url`` and (if ``settled``) let it settle; a page that never finishes loading is a
    problem, not an end."""
    try:
        response = await page.goto(url, wait_until="commit", timeout=plan.timing("navigation_timeout") * 1000)
    except PlaywrightTimeout:
        raise PassStopped(f"no response within {plan.timing('navigation_timeout'):g} s") from None
    if response is not None and response.status >= 400:
        problems.append(f"HTTP status {response.status}")
    if not plan.parties.is_site_url(page.url):
        raise PassStopped(f"redirected off the site's origins to {origin_of(page.url) or page.url}; not scanned")
    try:
        await page.wait_for_load_state("load", timeout=plan.timing("load_timeout") * 1000)
    except PlaywrightTimeout:
        problems.append(f"did not finish loading within {plan.timing('load_timeout'):g} s")
    if settled:
        await settle(recorder, plan)


def _button_name(site, kind):
    """A pattern for the banner's button of ``kind`` in any of the site's languages."""
    names = sorted({texts[BUTTON_TEXT[kind]] for texts in site.texts.values()})
    return re.compile("^(" + "|".join(re.escape(name) for name in names) + ")$")


async def _decide(page, plan, kind, recorder):
    """Click the banner's "Reject all" or "Accept all"; PassStopped when the banner offers none."""
    button = page.locator('[data-cs="banner"]').get_by_role("button", name=_button_name(plan.site, kind)).first
    try:
        await button.wait_for(state="visible", timeout=plan.timing("banner_timeout") * 1000)
    except PlaywrightTimeout:
        label = plan.site.texts[plan.site.default_language][BUTTON_TEXT[kind]]
        raise PassStopped(f"the banner's {label!r} button did not appear within "
                          f"{plan.timing('banner_timeout'):g} s") from None
    recorder.decision_at = time.monotonic()
    await button.click()
    # What the click starts (scripts released, cookies removed) is seen here or on the next open.
    await settle(recorder, plan, dwell=plan.timing("quiet"))


async def _snapshot(page):
    """The Web Storage keys of every frame still attached."""
    found = []
    for frame in page.frames:
        try:
            found.append(await asyncio.wait_for(frame.evaluate(STORAGE_KEYS), timeout=2))
        except (PlaywrightError, asyncio.TimeoutError):
            continue
    return found


async def _facts(page, site_key):
    try:
        return await asyncio.wait_for(page.evaluate(PAGE_FACTS, site_key), timeout=3)
    except (PlaywrightError, asyncio.TimeoutError):
        return None


def _checks(facts, recorder, url, site_key):
    """The page's <head> order and Consent Mode checks (first visit only)."""
    html = recorder.documents.get(url)
    checks = Source(html, url).head_report(site_key) if html is not None else {"banner_tag_found": None}
    command = (facts or {}).get("first_command")
    checks["consent_default_first"] = command == ["consent", "default"] if facts else None
    checks["datalayer_first"] = command or (facts or {}).get("first_entry")
    return checks


async def _collect(context, page, recorder, plan, kind, url):
    """What the browser holds at the end, as the pass's records (and the page's facts on a first visit)."""
    facts = await _facts(page, plan.site.key) if not recorder.crashed else None
    service = origin_of((facts or {}).get("banner_src") or "")
    parties = Parties(plan.site.origins, service)
    try:
        jar = await context.cookies()
    except PlaywrightError:
        jar = []
    snapshot = await _snapshot(page) if not recorder.crashed else []
    await recorder.finish()
    if kind != NONE and recorder.decision_at is None:
        records = {"cookies": [], "storage": [], "requests": []}  # no decision: nothing is this pass's own
    else:
        records = evidence.build(recorder, jar, snapshot, parties, recorder.decision_at if kind != NONE else None)
    extra = {"service_origin": service}
    if kind == NONE:
        extra["checks"] = _checks(facts, recorder, page.url, plan.site.key)
        extra["links"] = (facts or {}).get("links", [])
    return records, extra


async def run_pass(browser, plan, url, kind):
    """One pass of ``kind`` over ``url``: ``{"pass", "status", "problems", "cookies", ...}``."""
    began = time.monotonic()
    context = await browser.new_context()
    context.set_default_timeout(plan.timing("navigation_timeout") * 1000)
    recorder, problems, status = Recorder(), [], "ok"
    try:
        await context.expose_binding(BINDING, recorder.on_script_event)
        await context.add_init_script(script=INSTRUMENT)
        page = await context.new_page()
        await recorder.attach(context, page)
        try:
            # Before a click only the banner matters: what the page does meanwhile is the first pass's.
            await _open(page, url, plan, recorder, problems, settled=kind == NONE)
            if kind != NONE:
                await _decide(page, plan, kind, recorder)
                await _open(page, url, plan, recorder, problems)
        except PassStopped as stop:
            problems.append(str(stop))
            status = "failed" if kind == NONE or recorder.decision_at is None else "incomplete"
        except PlaywrightError as error:
            if not recorder.crashed:
                problems.append(f"browser error: {str(error).splitlines()[0][:200]}")
            status = "failed"
        if recorder.crashed:
            problems.append(CRASHED)
        records, extra = await _collect(context, page, recorder, plan, kind, url)
    finally:
        await _close(context)
    problems = list(dict.fromkeys(problems))
    if problems and status == "ok":
        status = "incomplete"
    return {"pass": kind, "status": status, "problems": problems, "seconds": round(time.monotonic() - began, 1),
            "decided": recorder.decision_at is not None if kind != NONE else None, **records, **extra}


async def _close(context):
    try:
        await asyncio.wait_for(context.close(), timeout=10)
    except (PlaywrightError, asyncio.TimeoutError):
        pass
