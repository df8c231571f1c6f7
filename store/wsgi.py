"""WSGI entry point for the moderators' desk (gunicorn store.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "store.settings")
application = get_wsgi_application()
