"""Django project wiring: settings, URLs and the WSGI/ASGI entry points."""
