"""The OpenAPI document is valid and documents every API route."""
import re

from openapi_spec_validator import validate


def test_document_is_valid_openapi_3(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    validate(document)


def test_every_api_route_is_documented(app, client):
    documented = client.get("/api/v1/openapi.json").get_json()["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "openapi.openapi_document":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        assert path in documented, f"{path} is not in the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in documented[path], f"{method} {path} is not documented"


def test_consent_body_is_described_field_by_field(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    consent_in = schemas["ConsentIn"]
    assert set(consent_in["required"]) == {"site", "categories", "action", "policy_version", "language", "page_url"}
    assert consent_in["properties"]["action"]["enum"] == ["accept_all", "reject_all", "custom", "withdraw"]
    assert consent_in.get("additionalProperties") is False
