"""The operator's endpoints: /healthz, /readyz and /metrics.

They are answered by the first middleware, before the host check, the HTTPS
redirect, sessions, login, two-factor, the access ledger and the request
log: probes come over plain HTTP from the container runtime or the load
balancer with an address as Host, need no login, and must not fill the logs.
None of them shows personal data.

- /healthz: the process answers. Touches nothing.
- /readyz: the database is reachable and fully migrated, Redis is reachable
  and the oldest unsent outbox message is younger than
  READINESS_OUTBOX_MAX_AGE_SECONDS. 200, or 503 naming the failing part.
  The checks run on django-health-check, concurrently, each with a timeout.
- /metrics: Prometheus, for a scraper with METRICS_TOKEN or from
  METRICS_ALLOWED_IPS; anyone else gets 404 (firm_portal/metrics.py).
"""

import asyncio
import dataclasses
import hmac
import ipaddress
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseNotFound,
    JsonResponse,
)
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from redis.asyncio import Redis as RedisClient

from firm_portal.metrics import process_registry
from notifications.metrics import OutboxBacklogCollector
from notifications.selectors import outbox_backlog

DATABASE_UNREACHABLE = "database unreachable"


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration this code has is applied: a new release's web process
    is not ready before `manage.py migrate` has run."""

    async def run(self) -> None:
        # In the request's thread, on the request's connection.
        await sync_to_async(self._check)()

    def _check(self) -> None:
        try:
            executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as error:
            raise ServiceUnavailable(DATABASE_UNREACHABLE) from error
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migrations not applied")


@dataclasses.dataclass
class OutboxFlowing(HealthCheck):
    """The oldest message not sent yet is younger than `max_age`: workers,
    broker and mail server keep up."""

    max_age: timedelta = timedelta(minutes=15)

    async def run(self) -> None:
        await sync_to_async(self._check)()

    def _check(self) -> None:
        try:
            oldest = outbox_backlog().oldest_created_at
        except DatabaseError as error:
            raise ServiceUnavailable(DATABASE_UNREACHABLE) from error
        if oldest is not None and timezone.now() - oldest > self.max_age:
            age = (timezone.now() - oldest).total_seconds()
            raise ServiceUnavailable(
                f"oldest unsent message is {age:.0f} s old "
                f"(limit {self.max_age.total_seconds():.0f} s)"
            )


def readiness_checks() -> dict[str, HealthCheck]:
    checks: dict[str, HealthCheck] = {
        "database": Database(),
        "migrations": MigrationsApplied(),
        "outbox": OutboxFlowing(
            max_age=timedelta(seconds=settings.READINESS_OUTBOX_MAX_AGE_SECONDS)
        ),
    }
    if settings.REDIS_URL:  # without it (make run) nothing uses Redis
        checks["redis"] = Redis(
            client_factory=partial(
                RedisClient.from_url,
                settings.REDIS_URL,
                socket_connect_timeout=2,
                socket_timeout=2,
            )
        )
    return checks


class ReadinessView(HealthCheckView):
    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        checks = readiness_checks()
        results = await asyncio.gather(*(check.get_result() for check in checks.values()))
        report = {
            name: "ok" if result.error is None else str(result.error)
            for name, result in zip(checks, results, strict=True)
        }
        ready = all(result.error is None for result in results)
        return JsonResponse(
            {"status": "ok" if ready else "unavailable", "checks": report},
            status=200 if ready else 503,
        )


def liveness(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


readiness = async_to_sync(ReadinessView.as_view())


def scraper_allowed(request: HttpRequest) -> bool:
    """A bearer token equal to METRICS_TOKEN, or an address in
    METRICS_ALLOWED_IPS (the connecting address: scrape the web processes
    directly, not through the proxy, whose address would be seen)."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if token and hmac.compare_digest(given.encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(allowed, strict=False)
        for allowed in settings.METRICS_ALLOWED_IPS
    )


def metrics(request: HttpRequest) -> HttpResponse:
    if not scraper_allowed(request):
        return HttpResponseNotFound("Not found\n", content_type="text/plain")
    database = CollectorRegistry()
    database.register(OutboxBacklogCollector())
    body = generate_latest(process_registry()) + generate_latest(database)
    response = HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


ENDPOINTS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": liveness,
    "/readyz": readiness,
    "/metrics": metrics,
}


class OperatorEndpointsMiddleware:
    """First in MIDDLEWARE: the three endpoints above, GET or HEAD only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        endpoint = ENDPOINTS.get(request.path_info)
        if endpoint is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return endpoint(request)
