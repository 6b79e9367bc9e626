"""WSGI entry point for servers such as gunicorn: scorecards.config.wsgi:application."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scorecards.config.settings")

application = get_wsgi_application()
