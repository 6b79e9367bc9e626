"""ASGI entry point for servers such as uvicorn: scorecards.config.asgi:application."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scorecards.config.settings")

application = get_asgi_application()
