"""One id per web request, carried into the Celery tasks and outbox rows it
causes, so one grep follows a coupling from the click to the e-mail.

The id comes from the proxy's `X-Request-ID` when it is a plausible id, is
made up otherwise, and is sent back in the response's `X-Request-ID`. Tasks
get it in a message header; a task that no request caused (beat, the
sweeper) uses its own task id. Every log record carries `request_id` and
`user_id` (firm_portal.log_format prints them).

Imports nothing of the apps: any layer may ask for the current id.
"""

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from django.http import HttpRequest, HttpResponse

from firm_portal.log_redaction import redact_path

HEADER = "X-Request-ID"
TASK_HEADER = "request_id"
# Ids a proxy may send (uuid, hex, ULID-ish): no spaces, quotes or markup.
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

_request_id: ContextVar[str] = ContextVar("request_id", default="")
_user_id: ContextVar[int | None] = ContextVar("user_id", default=None)

access_logger = logging.getLogger("firm_portal.requests")


def current_request_id() -> str:
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Binds the request id and the signed-in user's id for the request, logs
    one line per request (method, path without its query string, status,
    time) and returns the id. Placed after the session timeout middleware,
    which has already loaded the user, so this costs no query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        request_id = given if _VALID_ID.match(given) else new_request_id()
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        id_token, user_token = _request_id.set(request_id), _user_id.set(user_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            # The query string can hold what someone searched for: not logged;
            # nor the secret segments of a signed link (the route's shape is).
            access_logger.info(
                "%s %s %s %.0f ms",
                request.method,
                redact_path(request.path),
                response.status_code,
                (time.perf_counter() - started) * 1000,
            )
        finally:
            _request_id.reset(id_token)
            _user_id.reset(user_token)
        response.headers[HEADER] = request_id
        return response


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `user_id` to every record (empty outside a
    request or task), for the formatters to print."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        record.user_id = _user_id.get()
        return True


# --- Celery (connected in firm_portal/celery.py) ----------------------------
_task_tokens: dict[str, Token[str]] = {}


def add_request_id_to_task(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """before_task_publish: the publishing request's (or task's) id travels along."""
    request_id = _request_id.get()
    if headers is not None and request_id:
        headers.setdefault(TASK_HEADER, request_id)


def bind_task_request_id(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    """task_prerun: the id from the message header; a task run in-process
    keeps the caller's id; one that nothing requested uses its task id."""
    from_header = task.request.get(TASK_HEADER) if task is not None else None
    request_id = from_header or _request_id.get() or task_id
    _task_tokens[task_id] = _request_id.set(request_id)


def unbind_task_request_id(task_id: str = "", **kwargs: Any) -> None:
    """task_postrun: back to what was bound before the task."""
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _request_id.reset(token)
