"""The API document says what the service checks, no more and no less: every value a documented pattern,
enum or format allows is accepted, values it excludes are refused, and the rules a schema checks across
its fields (``json_schema_rules``) give the same answers as its ``validates_schema``.

Schemathesis judges the API by the document: a value the document allows but the service refuses, or a
refusal that the document cannot foresee, is a failure for whoever tests the API from the outside.
"""
import itertools
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from openapi_schema_validator import OAS30Validator

from consent_service import gunicorn_config
from consent_service.audit.schemas import (ChainHeadQuerySchema, ExportQuerySchema, Moment, ProofQuerySchema,
                                           RangeQuerySchema)
from consent_service.ledger.schemas import ACTIONS, PAGE_URL_PATTERN, ConsentInSchema
from consent_service.ledger.service import clean_page_url
from consent_service.state.query import LIMITS, TOKEN_PATTERN
from consent_service.state.schemas import VerifyInSchema
from consent_service.text_fields import SAFE_TEXT_PATTERN, Text

from tests.support.servers import service_env

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ROOT = Path(__file__).resolve().parents[2]
# Where each schema's fields are documented: a component, or an operation's query parameters.
DOCUMENTED = [
    (("component", "ConsentIn"), ConsentInSchema),
    (("component", "VerifyIn"), VerifyInSchema),
    (("component", "ProofQuery"), ProofQuerySchema),
    (("query", "/audit/consents.csv"), ExportQuerySchema),
    (("query", "/audit/chain-head"), ChainHeadQuerySchema),
    (("query", "/audit/stats.csv"), RangeQuerySchema),
]
TEXT_FIELDS = [(where, schema, name) for where, schema in DOCUMENTED
               for name, field in schema().fields.items() if isinstance(field, Text)]
UNSAFE = ["\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\x9f"]


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def documented(document, where, schema, name):
    """The documented schema of ``name`` (an attribute of ``schema``) and the field that loads it."""
    field = schema().fields[name]
    kind, place = where
    if kind == "component":
        properties = document["components"]["schemas"][place]["properties"]
    else:
        properties = {parameter["name"]: parameter["schema"] for parameter in document["paths"][place]["get"]["parameters"]}
    return properties[field.data_key or name], field


def allowed_values(prop):
    """What the documented schema of a text field allows."""
    if "enum" in prop:
        return st.sampled_from(prop["enum"])
    low, high = prop.get("minLength", 0), prop.get("maxLength", 10_000)
    return st.from_regex(prop["pattern"], fullmatch=True).filter(lambda value: low <= len(value) <= high)


def accepts(field, value):
    try:
        field.deserialize(value)
    except ValidationError:
        return False
    return True


EACH_TEXT_FIELD = pytest.mark.parametrize(("where", "schema", "name"), TEXT_FIELDS,
                                   ids=[f"{w[1]}.{n}" for w, _, n in TEXT_FIELDS])


@EACH_TEXT_FIELD
def test_every_text_field_documents_its_values(document, where, schema, name):
    prop, _ = documented(document, where, schema, name)
    assert "enum" in prop or "pattern" in prop


@SETTINGS
@given(data=st.data())
@EACH_TEXT_FIELD
def test_values_the_document_allows_are_accepted(document, where, schema, name, data):
    prop, field = documented(document, where, schema, name)
    value = data.draw(allowed_values(prop))
    assert accepts(field, value), value


@SETTINGS
@given(data=st.data())
@EACH_TEXT_FIELD
def test_a_control_character_is_outside_the_document_and_refused(document, where, schema, name, data):
    prop, field = documented(document, where, schema, name)
    value = data.draw(allowed_values(prop))
    position = data.draw(st.integers(0, len(value)))
    changed = value[:position] + data.draw(st.sampled_from(UNSAFE)) + value[position:]
    if "enum" in prop:
        assert changed not in prop["enum"]
    else:
        assert not re.fullmatch(prop["pattern"], changed)
    assert not accepts(field, changed)
    assert not accepts(field, value[:position] + "\ud800" + value[position:])  # said in docs/api.md


def test_every_plain_text_field_has_the_safe_pattern(document):
    verify_in = document["components"]["schemas"]["VerifyIn"]["properties"]
    assert verify_in["token"]["pattern"] == verify_in["site"]["pattern"] == SAFE_TEXT_PATTERN


@SETTINGS
@given(url=st.from_regex(PAGE_URL_PATTERN, fullmatch=True).filter(lambda url: len(url) <= 2048))
def test_every_documented_page_url_is_accepted_and_stored(url):
    assert accepts(ConsentInSchema().fields["page_url"], url)
    address = re.split("[?#]", url)[0]
    assert clean_page_url(url) in (address, address + "/")


@pytest.mark.parametrize("url", ["https://www.entrack.fi/palvelut", "http://localhost:5000/", "http://127.0.0.1",
                                 "https://xn--bcher-kva.example/ä?q=1#x", "https://example.org.:8443/a/../b"])
def test_page_urls_a_browser_sends_are_accepted(document, url):
    assert re.fullmatch(document["components"]["schemas"]["ConsentIn"]["properties"]["page_url"]["pattern"], url)
    assert accepts(ConsentInSchema().fields["page_url"], url)


@pytest.mark.parametrize("url", ["", "javascript:alert(1)", "ftp://example.org/", "http://", "https:///path",
                                 "http://[::1]/", "http://[::1", "http://user:secret@example.org/", "//example.org/",
                                 "http://exa mple.org/", "https://example.org/a b", "http://-example.org/",
                                 "data:text/html,x", "https://bücher.example/"])
def test_other_page_urls_are_refused_by_the_document_and_the_service(url):
    assert not re.fullmatch(PAGE_URL_PATTERN, url)
    assert not accepts(ConsentInSchema().fields["page_url"], url)


def with_refs(document, name):
    """A component as a schema of its own, its $refs resolving in the document's components."""
    return {**document["components"]["schemas"][name], "components": document["components"]}


def test_action_rules_agree_with_the_schema(document, consent_body):
    rules = OAS30Validator(with_refs(document, "ConsentIn"))
    consent_id = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    for action, analytics, marketing, with_id in itertools.product(ACTIONS, *[(True, False)] * 3):
        body = {**consent_body, "action": action, "categories": {"analytics": analytics, "marketing": marketing}}
        if with_id:
            body.update(consent_id=consent_id, token="t")
        try:
            ConsentInSchema().load(body)
            loads = True
        except ValidationError:
            loads = False
        assert rules.is_valid(body) is loads, body


def test_proof_query_rules_agree_with_the_schema(document):
    rules = OAS30Validator(with_refs(document, "ProofQuery"))
    optional = {"consent_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "from": "2026-11-01", "to": "2026-11-30"}
    for chosen in itertools.product((False, True), repeat=len(optional)):
        query = {"site": "entrack", **{name: value for (name, value), on in zip(optional.items(), chosen) if on}}
        try:
            ProofQuerySchema().load(query)
            loads = True
        except ValidationError:
            loads = False
        assert rules.is_valid(query) is loads, query


MOMENTS = st.one_of(
    st.dates().map(str),
    st.builds("{}T{:02d}:{:02d}:{:02d}{}{}".format, st.dates(), st.integers(0, 23), st.integers(0, 59),
              st.integers(0, 59), st.sampled_from(["", ".5", ".123456"]),
              st.sampled_from(["", "Z", "z"]) | st.builds("{}{:02d}:{:02d}".format, st.sampled_from("+-"),
                                                     st.integers(0, 23), st.integers(0, 59))),
)


@SETTINGS
@given(moment=MOMENTS)
def test_every_rfc_3339_date_and_time_is_accepted(moment):
    """From year 1 to 9999, whatever the offset (one past the first or last moment a datetime holds
    stands for it), or none (UTC)."""
    assert accepts(Moment(), moment)


@pytest.mark.parametrize("moment", ["", "20261101", "2026-W01-1", "2026-11-01T10", "2026-11-01T10:00+0200",
                                    "2026-02-30", "2026-11-01T24:00:00Z", "0000-12-31", "1.5"])
def test_other_spellings_of_a_moment_are_refused(moment):
    assert not accepts(Moment(), moment)


def test_moment_is_documented_as_a_date_or_a_date_and_time(document):
    parameters = {p["name"]: p["schema"] for p in document["paths"]["/audit/stats.csv"]["get"]["parameters"]}
    assert parameters["from"]["anyOf"] == [{"format": "date"}, {"format": "date-time"}]


def test_query_token_is_documented_as_read(document, client, consent_body):
    token = client.post("/api/v1/consents", json=consent_body).get_json()["token"]
    parameters = {p["name"]: p["schema"] for p in document["paths"]["/api/v1/consent-state"]["get"]["parameters"]}
    assert parameters["token"]["pattern"] == TOKEN_PATTERN and parameters["token"]["maxLength"] == LIMITS["token"]
    assert re.fullmatch(TOKEN_PATTERN, token)


@SETTINGS
@given(token=st.from_regex(TOKEN_PATTERN, fullmatch=True).filter(lambda token: len(token) <= LIMITS["token"]))
def test_every_documented_query_token_is_answered(client, token):
    assert client.get("/api/v1/consent-state", query_string={"token": token}).status_code == 200


@pytest.mark.parametrize("token", ["a b", "tök", "x\x00", "a/b", "a=b", "a%b", "x" * 1025])
def test_other_query_tokens_are_a_422_naming_the_token(client, token):
    response = client.get("/api/v1/consent-state", query_string={"token": token})
    assert response.status_code == 422 and list(response.get_json()["messages"]) == ["token"]


def test_an_operation_with_parameters_documents_the_request_line_limit(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            places = {parameter["in"] for parameter in operation.get("parameters", ())}
            assert ("414" in operation["responses"]) is bool(places & {"query", "path"}), f"{method} {path}"
            if "414" in operation["responses"]:
                assert list(operation["responses"]["414"]["content"]) == ["text/html"]


def test_gunicorn_and_nginx_take_the_same_request_line():
    """nginx keeps a request line in one of its large_client_header_buffers, its CRLF included."""
    for name in ("consent-service.conf", "consent-service-proxy.conf"):
        text = (ROOT / "deploy" / "nginx" / name).read_text()
        sizes = re.findall(r"^\s*large_client_header_buffers\s+\d+\s+(\d+)k;", text, re.MULTILINE)
        assert [int(size) * 1024 for size in sizes] == [gunicorn_config.limit_request_line + 2], name


@pytest.mark.slow
def test_a_request_line_up_to_the_limit_reaches_the_service(gunicorn, database_uri):
    """A token a little too long gets the service's JSON 422; only a line past 8190 bytes gets the HTML 414."""
    import http.client

    server = gunicorn(service_env(database_uri), workers=1, threads=2)
    start = f"/api/v1/consent-state?token={'x' * (LIMITS['token'] + 1)}&_="
    fill = gunicorn_config.limit_request_line - len(f"GET {start} HTTP/1.1")
    for padding, status, mimetype in [(fill, 422, "application/json"), (fill + 1, 414, "text/html")]:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            connection.request("GET", start + "0" * padding)
            response = connection.getresponse()
            assert (response.status, response.getheader("Content-Type").split(";")[0]) == (status, mimetype)
        finally:
            connection.close()
