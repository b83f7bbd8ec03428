"""Celery workers in a process of their own, for tests that kill one and for
the outbox benchmark. Each run uses its own queue, so a worker started by
someone else on the same Redis database cannot take its tasks."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from firm_portal.celery import app

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"


def database_url(settings_dict: dict[str, Any]) -> str:
    """A DATABASE_URL for the database this process is connected to (in a
    test: pytest-django's test database, not the one in the environment)."""
    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{settings_dict['NAME']}"


def new_queue_name(purpose: str) -> str:
    return f"notifications-{purpose}-{uuid.uuid4().hex[:8]}"


@contextmanager
def publishing_to(queue: str) -> Iterator[None]:
    """Publish tasks from this process to `queue` on the real broker instead
    of running them in-process (tests run tasks eagerly by default)."""
    eager, default_queue = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    try:
        yield
    finally:
        app.conf.task_always_eager = eager
        app.conf.task_default_queue = default_queue
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue)


def start(
    *,
    name: str,
    queue: str,
    log: Path,
    env: dict[str, str],
    pool: str = "solo",
    concurrency: int = 1,
) -> subprocess.Popen[bytes]:
    """`celery -A firm_portal worker --pool solo` on `queue` (or another
    pool and concurrency), output in `log`."""
    if not CELERY.exists():
        pytest.fail(f"{CELERY} is missing: install the project (make install)")
    with log.open("ab") as output:
        return subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                str(CELERY),
                "-A",
                "firm_portal",
                "worker",
                "--pool",
                pool,
                "--concurrency",
                str(concurrency),
                "-Q",
                queue,
                "-n",
                node_name(name),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_ENV": "test",
                "CELERY_TASK_ALWAYS_EAGER": "false",
                "CELERY_BROKER_URL": app.conf.broker_url,
                **env,
            },
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def node_name(name: str) -> str:
    return f"{name}@{socket.gethostname()}"


def wait_ready(name: str, *, timeout: float) -> bool:
    """Whether the worker `name` answers a ping within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(destination=[node_name(name)], timeout=0.5):
            return True
    return False


def add_queue(name: str, queue: str) -> None:
    """Have the running worker `name` consume from `queue` too."""
    replies = app.control.add_consumer(queue, destination=[node_name(name)], reply=True, timeout=5)
    if not replies:
        pytest.fail(f"Worker {name} did not take up queue {queue}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Warm shutdown (the task at hand finishes), killed if it takes too long."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def log_tail(log: Path, lines: int = 40) -> str:
    if not log.exists():
        return "(no worker output)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
