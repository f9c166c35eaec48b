"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""
from consent_service import create_app

app = create_app()
