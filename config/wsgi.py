import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Load jieba's dictionary and the case classifier now, not in a resident's first request (~1 s; it logs and
# carries on if the database is not ready, and the first classification tries again).
from civicgrid.cases.classifier import warm_up  # noqa: E402

warm_up()
