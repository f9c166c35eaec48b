"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""
from consent_service import create_app
from consent_service.sites import SiteConfigError

try:
    app = create_app()
except (RuntimeError, SiteConfigError) as error:  # a missing secret or a bad sites file: say what to fix
    raise SystemExit(f"consent service cannot start:\n{error}") from None
