"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

from contracts_app import create_app

app = create_app()
