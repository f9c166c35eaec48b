"""The crawl: start addresses, then the sitemap, then links found on first visits; every admitted
page gets its three passes, run in parallel browser contexts of one Chromium. Bounded by page count
and by time; addresses off the site's origins are listed, never visited."""
import asyncio
import itertools
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright

from . import sitemap
from .passes import run_pass
from .plan import CHROMIUM_ARGS, NONE, PASSES, normalise_url

# Addresses that are files rather than pages: a browser would download them.
NOT_PAGES = (".pdf", ".zip", ".gz", ".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp", ".mp3", ".mp4", ".webm",
             ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".exe", ".dmg", ".css", ".js", ".xml", ".json")
MAX_SKIPPED = 200


class BrowserUnavailable(RuntimeError):
    """Chromium could not be started; the message says how to get it."""


class Frontier:
    """The pages admitted to the scan, in order, and the addresses left out with the reason."""

    def __init__(self, plan):
        self.plan = plan
        self.parties = plan.parties
        self.admitted = []
        self.skipped = {}

    def _skip(self, url, reason):
        if url not in self.skipped and len(self.skipped) < MAX_SKIPPED:
            self.skipped[url] = reason

    def offer(self, url):
        """Admit ``url`` if it is a new page of the site within the page bound; True when admitted."""
        normal = normalise_url(url)
        if normal is None or normal in self.admitted:
            return False
        if not self.parties.is_site_url(normal):
            self._skip(normal, "another origin: not visited")
            return False
        if urlsplit(normal).path.lower().endswith(NOT_PAGES):
            return False
        if len(self.admitted) >= self.plan.max_pages:
            self._skip(normal, f"page limit ({self.plan.max_pages}) reached")
            return False
        self.admitted.append(normal)
        return True


class Crawl:
    """One run: a queue of (page, pass) tasks worked by ``plan.jobs`` workers until done or out of time."""

    def __init__(self, plan, progress=None):
        self.plan = plan
        self.frontier = Frontier(plan)
        self.progress = progress or (lambda done, total: None)
        # First visits first: they find the links, so the pages to visit are known as early as possible.
        self.queue = asyncio.PriorityQueue()
        self.order = itertools.count()
        self.results = {}
        self.done = 0
        self.deadline = time.monotonic() + plan.max_seconds

    def admit(self, url):
        if self.frontier.offer(url):
            self.results[self.frontier.admitted[-1]] = {}
            for kind in PASSES:
                self.queue.put_nowait((kind != NONE, next(self.order), self.frontier.admitted[-1], kind))

    async def _worker(self, browser):
        while True:
            _, _, url, kind = await self.queue.get()
            try:
                remaining = self.deadline - time.monotonic()
                if remaining <= 0:
                    result = {"pass": kind, "status": "skipped", "problems": ["time limit reached before this pass"]}
                else:
                    result = await self._bounded(browser, url, kind, remaining)
                self.results[url][kind] = result
                for link in result.pop("links", []) if kind == NONE else []:
                    self.admit(link)
                self.done += 1
                self.progress(self.done, 3 * len(self.frontier.admitted))
            finally:
                self.queue.task_done()

    async def _bounded(self, browser, url, kind, remaining):
        """A pass, cut off at its own bound or when the scan's time is up (the cancellation closes its context)."""
        bound = self.plan.pass_bound()
        try:
            return await asyncio.wait_for(run_pass(browser, self.plan, url, kind), timeout=min(remaining + 5, bound))
        except asyncio.TimeoutError:
            why = ("the scan's time limit was reached" if remaining + 5 < bound
                   else f"the pass did not end within {bound:g} s")
            return {"pass": kind, "status": "failed", "problems": [f"stopped: {why}"]}

    async def run(self):
        """Crawl and return ``(pages, skipped)``."""
        async with async_playwright() as playwright:
            try:
                browser = await playwright.chromium.launch(executable_path=self.plan.chromium,
                                                           args=list(CHROMIUM_ARGS))
            except PlaywrightError as error:
                raise BrowserUnavailable(
                    f"Chromium could not be started ({str(error).splitlines()[0]}). Install Debian's "
                    "`apt-get install chromium`, or set SCANNER_CHROMIUM to a Chromium binary.") from None
            try:
                for url in self.plan.start_urls:
                    self.admit(url)
                if self.plan.use_sitemap:
                    origins = sorted({urlsplit(url).scheme + "://" + urlsplit(url).netloc for url in self.plan.start_urls})
                    for url in await sitemap.site_urls(playwright, self.frontier.parties, origins, self.plan.max_pages):
                        self.admit(url)
                workers = [asyncio.create_task(self._worker(browser)) for _ in range(self.plan.jobs)]
                await self.queue.join()
                for worker in workers:
                    worker.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
            finally:
                await browser.close()
        pages = [{"url": url, "passes": self.results[url]} for url in self.frontier.admitted]
        skipped = [{"url": url, "reason": reason} for url, reason in self.frontier.skipped.items()]
        return pages, skipped


def crawl(plan, progress=None):
    """Run the crawl to its end in this thread's own event loop: ``(pages, skipped, started, finished)``."""
    started = datetime.now(timezone.utc)
    pages, skipped = asyncio.run(Crawl(plan, progress).run())
    return pages, skipped, started, datetime.now(timezone.utc)
