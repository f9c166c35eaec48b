"""The rights area: the privacy notice, the cookie declaration and the visitor's self-service rights.

``init_app`` registers the pages (``/privacy/<site>``, ``/my-consent``), the JSON API
(``/api/v1/consents/<consent_id>``) and its OpenAPI documentation.
"""
from .. import openapi


def _error(description):
    return {"description": description, "content": {"application/json": {"schema": "Error"}}}


HISTORY = {"description": "Every record of the consent, oldest first.",
           "content": {"application/json": {"schema": "ConsentHistory"}}}
AUTH_ERRORS = {
    "401": _error("No token, or one that is malformed, wrongly signed or expired."),
    "403": _error("The token is valid but for another consent: nothing is shown or changed."),
    "404": _error("No record of this consent is stored (any more)."),
}
PARAMETERS = [{"in": "path", "name": "consent_id", "required": True, "schema": {"type": "string", "format": "uuid"}}]
PATHS = {
    "/api/v1/consents/{consent_id}": {
        "get": {
            "summary": "A visitor's consent history (access, portability)",
            "operationId": "getConsentHistory",
            "parameters": PARAMETERS,
            "security": [{"bearer": []}],
            "description": "Authorised by the consent's own token, also one issued under an older policy version.",
            "responses": {"200": HISTORY, **AUTH_ERRORS},
        },
        "delete": {
            "summary": "Erase a visitor's personal fields (erasure)",
            "operationId": "eraseConsent",
            "parameters": PARAMETERS,
            "security": [{"bearer": []}],
            "description": (
                "Blanks the IP prefix, user agent and page URL of every record of the consent, and appends an "
                "`erase` record that also withdraws. The chain still verifies. Repeating it changes nothing."
            ),
            "responses": {"200": HISTORY, **AUTH_ERRORS},
        },
    },
}


def init_app(app):
    """Register this area with the app."""
    from . import api, views
    from .schemas import HistoryOutSchema

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    openapi.add_paths(PATHS, {"ConsentHistory": HistoryOutSchema})
