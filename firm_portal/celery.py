"""The Celery app. Settings live in firm_portal.settings under CELERY_*."""

import os
from logging.config import dictConfig
from typing import Any

from celery import Celery, signals
from django.conf import settings

from firm_portal import metrics, request_context

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firm_portal.settings")

app = Celery("firm_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id travels from the request (or task) that publishes a task
# into the task and everything it logs and writes.
signals.before_task_publish.connect(request_context.add_request_id_to_task, weak=False)
signals.task_prerun.connect(request_context.bind_task_request_id, weak=False)
signals.task_postrun.connect(request_context.unbind_task_request_id, weak=False)


@signals.setup_logging.connect(weak=False)
def use_django_logging(**kwargs: Any) -> None:
    """Workers and beat log like the web: settings.LOGGING (JSON in
    production, personal data redacted). Without a receiver here Celery
    would replace the root handlers with its own, redaction and all."""
    dictConfig(settings.LOGGING)


@signals.celeryd_init.connect(weak=False)
def fresh_metrics_directory(**kwargs: Any) -> None:
    """Before the pool starts: counts of an earlier run are not added in."""
    metrics.multiprocess_dir_reset()


@signals.worker_process_init.connect(weak=False)
def counters_from_zero_in_pool_process(**kwargs: Any) -> None:
    metrics.counters_from_zero()


@signals.worker_ready.connect(weak=False)
def serve_worker_metrics(**kwargs: Any) -> None:
    if settings.WORKER_METRICS_PORT:
        metrics.worker_metrics_serve(port=settings.WORKER_METRICS_PORT)
