"""gunicorn's configuration for the image (`gunicorn -c python:firm_portal.gunicorn_conf`).

Graceful shutdown: on SIGTERM gunicorn stops accepting connections and gives
requests in flight `graceful_timeout` seconds to finish; the container's
stop grace period (docker-compose.yml) is longer than that. A request is one
transaction and its messages go through the outbox, so nothing a request
started is lost when a worker is stopped.
"""

from firm_portal import metrics
from firm_portal.env import StrictEnv
from firm_portal.log_format import logging_config

env = StrictEnv()

bind = [env.str("GUNICORN_BIND", default="0.0.0.0:8000")]
# Sync workers, one per request at a time: two per core is plenty for
# server-rendered pages that mostly wait for PostgreSQL.
workers = env.int("WEB_CONCURRENCY", default=3)
timeout = env.int("GUNICORN_TIMEOUT", default=60)
graceful_timeout = env.int("GUNICORN_GRACEFUL_TIMEOUT", default=30)
keepalive = 5
# The TLS-terminating proxy's address(es), whose X-Forwarded-* are trusted.
forwarded_allow_ips = env.str("FORWARDED_ALLOW_IPS", default="127.0.0.1")
# No max_requests: each recycled worker would leave one more metrics file
# behind for every scrape to read (PROMETHEUS_MULTIPROC_DIR).

# gunicorn's own lines (start, stop, worker timeouts) as the app writes its own.
# The request log is the app's (firm_portal.request_context), with request ids.
# The same switches as settings.LOG_JSON and LOG_LEVEL.
logconfig_dict = logging_config(
    json_lines=env.bool("LOG_JSON", default=env.str("DJANGO_ENV", default="") == "production"),
    level=env.str("LOG_LEVEL", default="INFO"),
)


def on_starting(server: object) -> None:
    """Before any worker counts anything: this run's metrics start at zero."""
    metrics.multiprocess_dir_reset()


def post_fork(server: object, worker: object) -> None:
    metrics.counters_from_zero()
