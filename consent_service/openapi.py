"""The OpenAPI 3 document, generated from the marshmallow schemas."""
import copy

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app, jsonify

from .ledger import schemas as ledger
from .sites import configured_sites
from .state import cookie
from .state import schemas as state
from .text_fields import SAFE_TEXT_PATTERN, SiteKey, Text

bp = Blueprint("openapi", __name__)


def _error(description):
    return {"description": description, "content": {"application/json": {"schema": "Error"}}}


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


# The request line's limit (gunicorn_config.limit_request_line, and nginx's large_client_header_buffers in
# deploy/): values the document allows stay within it, others need not (1024 characters outside a token's
# alphabet take up to 12 KB percent-encoded), and the server in front answers them before the service.
URI_TOO_LONG = {"description": "The request line is longer than 8190 bytes: answered by the HTTP server in front "
                               "of the service (gunicorn, or nginx), as an HTML page.",
                "content": {"text/html": {"schema": {"type": "string"}}}}
STATE_ANSWER = _json("ConsentState", "The consent state; fails closed (`valid: false`, optional categories false).")
PATHS = {
    "/api/v1/consents": {
        "post": {
            "summary": "Record a visitor's decision",
            "operationId": "postConsent",
            "parameters": [{
                "in": "header", "name": "Idempotency-Key", "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[!-~]+$"},
                "description": "The same key again returns the first response and stores nothing new.",
            }],
            "requestBody": {"required": True, "content": {"application/json": {"schema": "ConsentIn"}}},
            "responses": {
                "201": _json("ConsentOut", "Stored (or, with a known Idempotency-Key, the first response again)."),
                "400": _error("Not JSON, not UTF-8, or a malformed Idempotency-Key."),
                "403": _error("The Origin may not record consent for this site."),
                "409": _error("A well-formed body that conflicts with what the service holds: an Idempotency-Key "
                              "used before with another body, or the header and `idempotency_key` differing; "
                              "a `policy_hash` of no snapshot the service knows for the site and language."),
                "413": _error("The body is larger than 16 KB."),
                "415": _error("The body is not sent as JSON."),
                "422": _error("A field is missing, unknown or invalid."),
                "429": _error("Too many decisions from this address; see Retry-After."),
                "503": _error("The store is briefly unavailable; see Retry-After."),
            },
        },
    },
    "/api/v1/consent-state": {
        "get": {
            "summary": "What a tag manager may load",
            "operationId": "getConsentState",
            "parameters": [{"in": "query", "schema": state.ConsentStateQuerySchema}],
            "security": [{}, {"bearer": []}],  # and each site's cookie: see build_spec
            "responses": {"200": STATE_ANSWER, "422": _error("A query value longer than its limit.")},
        },
    },
    "/api/v1/consent-state/verify": {
        "post": {
            "summary": "What a server-side tag manager may load",
            "operationId": "verifyConsentState",
            "requestBody": {"required": True, "content": {"application/json": {"schema": "VerifyIn"}}},
            "responses": {
                "200": STATE_ANSWER,
                "400": _error("Not JSON."),
                "413": _error("The body is larger than 16 KB."),
                "415": _error("The body is not sent as JSON."),
                "422": _error("A field is missing, unknown or invalid."),
            },
        },
    },
}
SCHEMAS = {
    "ConsentIn": ledger.ConsentInSchema,
    "ConsentOut": ledger.ConsentOutSchema,
    "ConsentState": state.ConsentStateSchema,
    "VerifyIn": state.VerifyInSchema,
    "Error": ledger.ErrorSchema,
}


def add_paths(paths, schemas=None):
    """Document another area's operations (``{path: {method: operation}}``) and schemas; a schema name
    another area already gave to another schema is refused (one would silently document the other)."""
    for name, schema in (schemas or {}).items():
        if SCHEMAS.setdefault(name, schema) is not schema:
            raise ValueError(f"The API document already has a schema {name!r}.")
    PATHS.update(paths)


def documented_values(converter, field, ret, **kwargs):
    """What a ``Text`` field refuses, in its schema (a MarshmallowPlugin attribute function): a site key is
    one of the configured sites; other text has the pattern that excludes controls, unless its own
    pattern or values already fix what it takes."""
    if isinstance(field, SiteKey) and configured_sites():
        return {"enum": list(configured_sites())}
    if isinstance(field, Text) and "pattern" not in ret and "enum" not in ret:
        return {"pattern": SAFE_TEXT_PATTERN}
    return {}


def _with_uri_too_long(operations):
    """Every operation that takes a query or path parameter may meet the request line's limit."""
    for operation in operations.values():
        if any(parameter["in"] in ("query", "path") for parameter in operation.get("parameters", ())):
            operation["responses"].setdefault("414", URI_TOO_LONG)
    return operations


def build_spec():
    """The whole document: the ledger's operations and those added with ``add_paths``.

    A schema's ``json_schema_rules`` (what its ``validates_schema`` checks across fields, in JSON Schema)
    joins its component; tests/service/test_openapi_honest.py holds the two to the same answers.
    """
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="Consent service API", version="1.0.0", openapi_version="3.0.3",
        plugins=[plugin],
        info={"description": "Consent records, signed consent state and proofs."},
    )
    plugin.converter.add_attribute_function(documented_values)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    cookies = [f"cookie_{key}" for key in configured_sites()]
    for scheme, key in zip(cookies, configured_sites()):
        spec.components.security_scheme(scheme, {"type": "apiKey", "in": "cookie", "name": cookie.cookie_name(key),
                                                 "description": f"The banner's cookie on site {key}."})
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, getattr(schema, "json_schema_rules", None), schema=schema)
    paths = copy.deepcopy(PATHS)
    paths["/api/v1/consent-state"]["get"]["security"] += [{scheme: []} for scheme in cookies]
    for path, operations in paths.items():
        spec.path(path=path, operations=_with_uri_too_long(operations))
    return spec.to_dict()


@bp.get("/api/v1/openapi.json")
def openapi_document():
    """The OpenAPI 3 document of this API."""
    if "openapi_document" not in current_app.extensions:
        current_app.extensions["openapi_document"] = build_spec()
    return jsonify(current_app.extensions["openapi_document"])
