"""Every Prometheus metric of our own, in one place (README, "Runbook" says
where each should alert), and the middleware that measures requests.

Counted in the process where it happens: requests and logins in the web
processes, deliveries and the invoicing run in the Celery workers. Under
gunicorn and Celery's prefork pool each process writes its values to
PROMETHEUS_MULTIPROC_DIR (set in the image) and one exposition adds them
up: /metrics on the web (firm_portal/monitoring.py), WORKER_METRICS_PORT on
a worker. What the database knows (the outbox backlog) is read at scrape
time instead (notifications/metrics.py).

Imports nothing of the apps: any layer may count.
"""

import os
import shutil
import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
    start_http_server,
)

# The directory must exist before the first value is written (at import).
if _multiproc_dir := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(_multiproc_dir, exist_ok=True)

# --- Requests (web) ------------------------------------------------------------
HTTP_REQUESTS = Counter(
    "byraportalen_http_requests",
    "Requests answered, by view (URL name), method and status code.",
    ["view", "method", "status"],
)
HTTP_REQUEST_SECONDS = Histogram(
    "byraportalen_http_request_duration_seconds",
    "Time from the first middleware to the response, by view.",
    ["view"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
HTTP_REQUEST_QUERIES = Histogram(
    "byraportalen_http_request_db_queries",
    "Database queries per request, by view.",
    ["view"],
    buckets=(0, 2, 5, 10, 15, 20, 30, 50, 100, 250),
)

# --- Logins (web) ------------------------------------------------------------------
LOGIN_FAILURES = Counter(
    "byraportalen_login_failures",
    "Failed logins: wrong password, unknown user, or refused during a lockout.",
)
LOGIN_LOCKOUTS = Counter(
    "byraportalen_login_lockouts",
    "Login attempts that locked a username or address out, or met a lockout (django-axes).",
)

# --- Outbox (workers) --------------------------------------------------------------
CHANNELS = ("email", "sms")
OUTBOX_MESSAGES_FAILED = Counter(
    "byraportalen_outbox_messages_failed",
    "Messages given up on (permanent error or too many attempts), by channel.",
    ["channel"],
)

# --- The monthly invoicing run (workers) ---------------------------------------------
INVOICING_RUNS = Counter(
    "byraportalen_invoicing_runs",
    "Invoicing runs that completed or failed (raised).",
    ["outcome"],
)
INVOICING_PAYERS_FAILED = Counter(
    "byraportalen_invoicing_payers_failed",
    "Payers a run left without an invoice (a price missing from the price list, or an error "
    "writing the invoice).",
)
INVOICING_RUN_PAYERS = Gauge(
    "byraportalen_invoicing_run_payers",
    "Payers in the current (or last) invoicing run.",
    multiprocess_mode="mostrecent",
)
INVOICING_RUN_PAYERS_DONE = Gauge(
    "byraportalen_invoicing_run_payers_done",
    "Payers the current (or last) run has invoiced or found invoiced.",
    multiprocess_mode="mostrecent",
)

# --- Reminders (workers) ---------------------------------------------------------------
# Reminders do not exist yet: the feature that sends them increments this,
# once per reminder put in the outbox, and nothing else needs to change.
REMINDERS_SENT = Counter(
    "byraportalen_reminders_sent",
    "Reminders put in the outbox.",
)

# Every counter shows 0 before its first event (label values included), so
# a scrape lists it and `increase()` sees the first event.
_COUNTERS = (
    LOGIN_FAILURES,
    LOGIN_LOCKOUTS,
    INVOICING_PAYERS_FAILED,
    REMINDERS_SENT,
    *(OUTBOX_MESSAGES_FAILED.labels(channel=channel) for channel in CHANNELS),
    *(INVOICING_RUNS.labels(outcome=outcome) for outcome in ("completed", "failed")),
)


def counters_from_zero() -> None:
    """Makes every counter visible at 0 in this process. At import, and in
    each forked process (gunicorn worker, Celery pool process), which writes
    its values to a file of its own in PROMETHEUS_MULTIPROC_DIR."""
    for counter in _COUNTERS:
        counter.inc(0)


counters_from_zero()


def count_login_failure(**kwargs: Any) -> None:
    LOGIN_FAILURES.inc()


def count_lockout(**kwargs: Any) -> None:
    LOGIN_LOCKOUTS.inc()


class RequestMetricsMiddleware:
    """Counts each request by view, method and status, and its time and
    queries. Health probes and /metrics never get here (monitoring.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        queries = 0

        def count(execute: Callable[..., Any], *args: Any) -> Any:
            nonlocal queries
            queries += 1
            return execute(*args)

        started = time.perf_counter()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        match = request.resolver_match
        # A bounded set of labels: URL names, never paths.
        view = (match.view_name if match else "") or "<unresolved>"
        HTTP_REQUESTS.labels(view=view, method=_method(request), status=response.status_code).inc()
        HTTP_REQUEST_SECONDS.labels(view=view).observe(time.perf_counter() - started)
        HTTP_REQUEST_QUERIES.labels(view=view).observe(queries)
        return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _method(request: HttpRequest) -> str:
    return request.method if request.method in _METHODS else "other"


def multiprocess_dir_reset() -> None:
    """Empty PROMETHEUS_MULTIPROC_DIR when a server starts (gunicorn's master,
    a Celery worker's main process), before its processes count anything:
    the counts of an earlier run (a restarted container) would be added in."""
    if _multiproc_dir:
        shutil.rmtree(_multiproc_dir, ignore_errors=True)
        os.makedirs(_multiproc_dir, exist_ok=True)


def process_registry() -> CollectorRegistry:
    """What this server's processes have counted: every process's values
    from PROMETHEUS_MULTIPROC_DIR when it is set, else this process's own."""
    if not _multiproc_dir:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def worker_metrics_serve(*, port: int) -> None:
    """A Celery worker's metrics on a port of its own (not published: the
    scraper reaches it on the internal network), served by its main process."""
    start_http_server(port, registry=process_registry())
