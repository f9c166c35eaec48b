"""The scan's result document (schema ``consent-scan/1``, described in docs/scanner.md) and its exit code."""
from . import declaration as judge
from .plan import NONE, PASSES

SCHEMA = "consent-scan/1"
CLEAN, VIOLATIONS, FAILED = "clean", "violations", "failed"
EXIT_CODES = {CLEAN: 0, VIOLATIONS: 1, FAILED: 2}


def _page(page):
    """A page with its passes in order and its first-visit checks lifted to the page."""
    passes = {kind: page["passes"][kind] for kind in PASSES if kind in page["passes"]}
    first = passes.get(NONE, {})
    checks = first.pop("checks", None)
    problems = [f"{kind}: {problem}" for kind, result in passes.items() for problem in result.get("problems", [])]
    statuses = {result.get("status") for result in passes.values()}
    status = "ok" if statuses == {"ok"} else ("failed" if first.get("status") in ("failed", "skipped") else "incomplete")
    return {"url": page["url"], "status": status, "problems": problems, "checks": checks, "passes": passes}


def _warnings(pages):
    """Page checks that failed: the banner tag's place and the Consent Mode default."""
    found = []
    for page in pages:
        checks = page["checks"] or {}
        if checks.get("banner_tag_found") is False:
            found.append({"page": page["url"], "check": "banner_tag_found", "text": "the banner's tag is not on the page"})
        elif checks.get("banner_tag_first_in_head") is False:
            found.append({"page": page["url"], "check": "banner_tag_first_in_head",
                          "text": "the banner's tag is not first in <head>: "
                                  + (", ".join(checks.get("before_banner_tag") or []) or "it is not in <head>")})
        if checks.get("consent_default_first") is False:
            found.append({"page": page["url"], "check": "consent_default_first",
                          "text": f"the first dataLayer entry is not the Consent Mode default: {checks.get('datalayer_first')}"})
    return found


def build(plan, pages, skipped, started, finished, error=None):
    """The result document of a finished (or failed) crawl."""
    pages = [_page(page) for page in pages]
    scanned = [page for page in pages if page["status"] != "failed"]
    declaration = judge.Declaration(plan.site)
    violations = judge.violations(declaration, pages)
    if error or not scanned:
        status = FAILED
        error = error or "no page could be scanned: " + "; ".join(
            f"{page['url']}: {', '.join(page['problems']) or page['status']}" for page in pages[:5])
    else:
        status = VIOLATIONS if violations else CLEAN
    undeclared, stale = judge.undeclared(declaration, pages), judge.stale(declaration, pages)
    services = sorted({result["service_origin"] for page in pages for result in page["passes"].values()
                       if result.get("service_origin")})
    return {
        "schema": SCHEMA,
        "site": plan.site.key,
        "status": status,
        "exit_code": EXIT_CODES[status],
        "error": error,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "duration_seconds": round((finished - started).total_seconds(), 1),
        "options": plan.options(),
        "origins": list(plan.site.origins),
        "service_origins": services,
        "summary": {"pages": len(pages), "pages_scanned": len(scanned), "violations": len(violations),
                    "undeclared": len(undeclared), "stale": None if stale is None else len(stale)},
        "violations": violations,
        "undeclared": undeclared,
        "stale": stale,
        "warnings": _warnings(pages),
        "skipped": skipped,
        "pages": pages,
    }


def failed(plan, started, finished, error):
    """The document of a scan that could not run at all."""
    return build(plan, [], [], started, finished, error=error)
