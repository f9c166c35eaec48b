"""The audit API in the OpenAPI document (added with ``openapi.add_paths``)."""
from . import schemas


def _error(description):
    return {"description": description, "content": {"application/json": {"schema": "Error"}}}


def _query(schema):
    """The query parameters of ``schema``, the one that ``api.load_query`` loads them with."""
    return [{"in": "query", "schema": schema}]


AUTH = [{"bearer": []}]  # or the web session of /audit/
UNAUTHORISED = _error("No token, not a Bearer token, or an unknown or revoked token.")
FORBIDDEN = _error("The auditor may not see this site.")
BAD_QUERY = _error("A bad date, an unknown parameter or value, or 'from' after 'to'.")
PATHS = {
    "/audit/consents.csv": {"get": {
        "summary": "The consent-proof CSV, streamed in chain order",
        "operationId": "getAuditConsentsCsv", "security": AUTH,
        "parameters": _query(schemas.ExportQuerySchema),
        "responses": {
            "200": {"description": "A header row, then one row per record. Cells a spreadsheet would run "
                                   "(starting with = + - @ tab CR) and cells starting with ' get one leading '.",
                    "content": {"text/csv": {"schema": {"type": "string"}}}},
            "400": BAD_QUERY, "401": UNAUTHORISED, "403": FORBIDDEN,
        },
    }},
    "/audit/proof.zip": {"get": {
        "summary": "The proof pack: one ZIP of the CSV, the signed head, the policy snapshots, a signed manifest, "
                   "the verifier and a README",
        "operationId": "getAuditProofPack", "security": AUTH,
        # One object, so that its schema can say that consent_id goes without from and to; on the wire,
        # one query parameter per property, as any other operation's.
        "parameters": [{"in": "query", "name": "filter", "required": True, "style": "form", "explode": True,
                        "schema": {"$ref": "#/components/schemas/ProofQuery"}}],
        "responses": {
            "200": {"description": "consents.csv, head.json, policies/<hash>.json, verify.pyz, README.txt, "
                                   "manifest.json and manifest.sig (Ed25519 of manifest.json's bytes), streamed. "
                                   "Check it with: python3 verify.pyz PACK.zip --public-key KEY",
                    "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}},
            "400": BAD_QUERY, "401": UNAUTHORISED, "403": FORBIDDEN,
            "404": _error("The consent id has no record in the site, or the service has no signing key configured "
                          "(AUDIT_SIGNING_KEY)."),
        },
    }},
    "/audit/policies/{snapshot_hash}": {"get": {
        "summary": "A policy snapshot: what a site's visitors could read before deciding, in one language",
        "operationId": "getAuditPolicySnapshot", "security": AUTH,
        "parameters": [{"in": "path", "name": "snapshot_hash", "required": True,
                        "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                        "description": "A record's policy_hash: the SHA-256 of the snapshot's canonical JSON."}],
        "responses": {
            "200": {"description": "The snapshot, whether it is the one served now and whether it is stored.",
                    "content": {"application/json": {"schema": "PolicySnapshot"}}},
            "400": _error("Not 64 lower-case hex digits."), "401": UNAUTHORISED,
            "404": _error("No such snapshot, or one of a site the auditor may not see."),
        },
    }},
    "/audit/consents/{consent_id}": {"get": {
        "summary": "One visitor's proof: every record of a consent id",
        "operationId": "getAuditConsentHistory", "security": AUTH,
        "parameters": [{"in": "path", "name": "consent_id", "required": True,
                        "schema": {"type": "string", "format": "uuid"}}],
        "responses": {
            "200": {"description": "The records, oldest first.",
                    "content": {"application/json": {"schema": "AuditConsentHistory"}}},
            "400": _error("Not a UUID."), "401": UNAUTHORISED, "404": _error("Not in a site the auditor may see."),
        },
    }},
    "/audit/chain-head": {"get": {
        "summary": "A site's chain head, signed with Ed25519",
        "operationId": "getAuditChainHead", "security": AUTH,
        "parameters": _query(schemas.ChainHeadQuerySchema),
        "responses": {
            "200": {"description": "Check `signed.signature` over `signed.payload` with the published key.",
                    "content": {"application/json": {"schema": "ChainHead"}}},
            "400": BAD_QUERY, "401": UNAUTHORISED, "403": FORBIDDEN,
            "404": _error("No record at that seq, or the service has no signing key configured (AUDIT_SIGNING_KEY)."),
        },
    }},
    "/audit/signing-key": {"get": {
        "summary": "The Ed25519 public key of chain heads and purge checkpoints",
        "operationId": "getAuditSigningKey", "security": [{}],
        "responses": {"200": {"description": "The key.", "content": {"application/json": {"schema": "PublicKey"}}},
                      "404": _error("The service has no signing key configured (AUDIT_SIGNING_KEY): there is no "
                                    "key to publish until its operator sets one.")},
    }},
    "/audit/verify.pyz": {"get": {
        "summary": "The offline verifier, one file that python3 runs: python3 verify.pyz consents.csv",
        "operationId": "getAuditVerifier", "security": [{}],
        "responses": {"200": {"description": "A zipapp of the service's checking code (standard library only).",
                              "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}},
    }},
    "/audit/stats.csv": {"get": {
        "summary": "Daily shares of accept all, reject all, custom and of each category granted (CSV)",
        "operationId": "getAuditStatsCsv", "security": AUTH, "parameters": _query(schemas.RangeQuerySchema),
        "responses": {"200": {"description": "One row per UTC day (default: the last 30 days).",
                              "content": {"text/csv": {"schema": {"type": "string"}}}},
                      "400": BAD_QUERY, "401": UNAUTHORISED, "403": FORBIDDEN},
    }},
    "/audit/stats.svg": {"get": {
        "summary": "The same statistics as a chart",
        "operationId": "getAuditStatsSvg", "security": AUTH, "parameters": _query(schemas.RangeQuerySchema),
        "responses": {"200": {"description": "A stacked bar per day and a line per category.",
                              "content": {"image/svg+xml": {"schema": {"type": "string"}}}},
                      "400": BAD_QUERY, "401": UNAUTHORISED, "403": FORBIDDEN},
    }},
}
SCHEMAS = {
    "AuditConsentHistory": schemas.ConsentHistorySchema,
    "ChainHead": schemas.ChainHeadSchema,
    "PublicKey": schemas.PublicKeySchema,
    "PolicySnapshot": schemas.PolicySnapshotSchema,
    "ProofQuery": schemas.ProofQuerySchema,
}
