"""WSGI entry point for gunicorn (``resettle serve``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resettle.settings")
application = get_wsgi_application()
