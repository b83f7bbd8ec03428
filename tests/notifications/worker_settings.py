"""Settings for Celery workers that tests start in another process: the
app's own settings (from the environment, EMAIL_BACKEND=file with
EMAIL_FILE_PATH), with mail going to the test sink in sink.py."""

from firm_portal.settings import *  # noqa: F403
from firm_portal.settings import MAILERS as APP_MAILERS

MAILERS = {
    "default": {**APP_MAILERS["default"], "BACKEND": "tests.notifications.sink.EmailBackend"}
}
