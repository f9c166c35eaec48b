"""A leaky site: each of its trackers is found in the right pass, with the element that caused it; an
undeclared cookie gets a sites-file block that the sites file accepts; a declared cookie never set is stale."""
import tomllib

import pytest

from consent_service.scanner.declaration import Declaration
from consent_service.scanner.report import render
from consent_service.sites import load_sites
from consent_service.sites.schemas import CookieSchema

from tests.support.fixture_sites import sites_toml

from .conftest import found, passes, scan_of


@pytest.fixture(scope="module")
def leaky(scan_app, fixtures):
    """One scan of the leaky site, read by every test here."""
    return scan_of(scan_app, fixtures, "leaky")


def test_exit_code_and_status(leaky):
    code, document, origin, _ = leaky
    assert (code, document["status"], document["exit_code"]) == (1, "violations", 1)
    assert [page["url"] for page in document["pages"]] == [f"{origin}/", f"{origin}/about"]
    assert all(page["status"] != "failed" for page in document["pages"])


def test_ungated_analytics_cookie_before_a_decision_and_after_reject(leaky):
    _, document, _, third = leaky
    for when in ("none", "reject"):
        [violation] = found(document, "cookie", "_ga", when)
        assert violation["reason"] == "declared as analytics, not granted"
        assert violation["party"] == "first" and violation["stored"] is True
        [evidence] = violation["evidence"]
        assert evidence["how"] == "document.cookie"
        assert evidence["element"] == f'<script src="{third}/analytics.js">'
    assert found(document, "cookie", "_ga", "accept") == []


@pytest.mark.parametrize(("path", "element"), [
    ("/frame", '<iframe src="{third}/frame" width="300" height="100">'),
    ("/pixel.gif", '<img src="{third}/pixel.gif" width="1" height="1">'),
])
def test_iframe_and_beacon_requests_with_their_elements(leaky, path, element):
    _, document, origin, third = leaky
    for when in ("none", "reject"):
        [violation] = [item for item in found(document, "request", third.split("://")[1], when)
                       if item["url"] == third + path]
        [evidence] = violation["evidence"]
        assert (evidence["how"], evidence["document"], evidence["element"]) == ("parser", f"{origin}/",
                                                                                 element.format(third=third))
        assert violation["pages"] == [f"{origin}/"]


def test_the_snippet_that_loads_the_analytics_script_is_named(leaky):
    _, document, origin, third = leaky
    [violation] = [item for item in found(document, "request", third.split("://")[1], "none")
                   if item["url"] == f"{third}/analytics.js"]
    [evidence] = violation["evidence"]
    assert evidence["how"] == "script" and evidence["script"] == f"{origin}/"
    assert evidence["element"].startswith("<script> (function () {") and "analytics.js" in evidence["element"]


def test_third_party_requests_after_accept_are_recorded_not_violations(leaky):
    _, document, origin, third = leaky
    accepted = passes(document, f"{origin}/")["accept"]
    assert {request["url"] for request in accepted["requests"]} >= {f"{third}/frame", f"{third}/pixel.gif"}
    assert [item for item in document["violations"] if item["pass"] == "accept"] == []


def test_local_storage_write_with_its_script(leaky):
    _, document, origin, _ = leaky
    for when in ("none", "reject"):
        [violation] = found(document, "storage", "prefs_seen", when)
        assert (violation["area"], violation["origin"], violation["reason"]) == ("localStorage", origin, "not declared")
        assert violation["evidence"][0]["element"] == f'<script src="{origin}/prefs.js">'


def test_third_party_cookie_attempts_are_reported_with_the_refusal(leaky):
    _, document, _, third = leaky
    [violation] = found(document, "cookie", "ad_uid", "none")
    assert violation["party"] == "third" and violation["stored"] is False and violation["blocked"]
    assert violation["evidence"][0]["response"] == f"{third}/frame"
    assert violation["evidence"][0]["initiator"]["element"].startswith(f'<iframe src="{third}/frame"')


def test_banner_cookie_and_queue_are_necessary(leaky):
    _, document, origin, _ = leaky
    rejected = passes(document, f"{origin}/")["reject"]
    assert "consent_leaky" in {cookie["name"] for cookie in rejected["cookies"]}
    assert found(document, "cookie", "consent_leaky", "reject") == []


def _undeclared(document, name):
    return next(item for item in document["undeclared"] if item["name"] == name)


def test_undeclared_cookie_known_to_the_database_gets_a_block_under_its_category(leaky):
    _, document, _, _ = leaky
    entry = _undeclared(document, "_fbp")
    assert (entry["guess"]["category"], entry["guess"]["provider"]) == ("marketing", "Facebook")
    assert 'key = "marketing"' in entry["suggestion"]
    [cookie] = tomllib.loads(entry["suggestion"])["leaky"]["categories"]["cookies"]
    assert CookieSchema().load(cookie)["name"] == "_fbp"


def test_undeclared_unknown_cookie_gets_a_block_the_sites_file_accepts(leaky, tmp_path):
    _, document, origin, _ = leaky
    entry = _undeclared(document, "visitor_ref")
    assert entry["guess"] is None and entry["party"] == "first" and entry["passes"] == ["none", "reject", "accept"]
    assert "Category unknown" in entry["suggestion"]
    # Pasted after the necessary category's block, the sites file loads and the cookie is declared.
    text = sites_toml({"leaky": [origin]})
    marker = '[[leaky.categories]]\nkey = "analytics"'
    assert marker in text
    path = tmp_path / "sites.toml"
    path.write_text(text.replace(marker, entry["suggestion"] + "\n" + marker), encoding="utf-8")
    assert Declaration(load_sites(path)["leaky"]).category_of("visitor_ref") == "necessary"


def test_declared_cookie_never_set_is_stale(leaky):
    _, document, _, _ = leaky
    assert {item["name"] for item in document["stale"]} == {"_ga_*", "_gid", "_gcl_au"}
    assert document["summary"]["stale"] == 3


def test_text_report_names_each_finding(leaky):
    _, document, _, third = leaky
    text = render(document)
    assert text.startswith("Cookie scan of site leaky: VIOLATIONS FOUND\n")
    assert f'[before a decision] request to third party {third.split("://")[1]}: {third}/pixel.gif' in text
    assert f'by <img src="{third}/pixel.gif" width="1" height="1">' in text
    assert "[after Reject all] cookie _ga (127.0.0.1, first party, stored): declared as analytics, not granted" in text
    assert 'name = "visitor_ref"' in text and "Stale: declared but never seen (3):" in text
    assert text.endswith("Exit code 1.\n")
