import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.settings")
application = get_wsgi_application()

from tsunagu.core.checks import startup  # noqa: E402  (needs the apps loaded)

startup()  # refuses to start without the keys of this database; warns on risky setups
