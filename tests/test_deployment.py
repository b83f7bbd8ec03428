"""The Dockerfile and docker-compose.yml agree with the settings, and the
image's start commands work. Docker does not run here: the commands run
outside a container, with the image's and compose's environment, against
the local PostgreSQL (the test database) and Redis."""

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.db import connection

from tests.notifications.worker_process import database_url

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
APP_SERVICES = ("migrate", "web", "worker", "beat")
# What an operator supplies to `docker compose up` (compose refuses without).
OPERATOR_SUPPLIED = {
    "SECRET_KEY": "x" * 30 + "-compose-secret-" + "y" * 30,
    "METRICS_TOKEN": "compose-metrics-token-0123456789",
}


# --- Reading the two files ------------------------------------------------------


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions (continuations joined), per stage."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def image_environment() -> dict[str, str]:
    environment: dict[str, str] = {}
    for instruction, arguments in dockerfile_stages()[-1]:
        if instruction == "ENV":
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                environment[key] = value
    return environment


def interpolate(value: str) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, as on an
    operator's machine that exports OPERATOR_SUPPLIED and nothing else."""

    def one(match: re.Match[str]) -> str:
        name, operator, rest = match.group(1), match.group(2) or "", match.group(3) or ""
        if name in OPERATOR_SUPPLIED:
            return OPERATOR_SUPPLIED[name]
        if operator == ":?":
            raise AssertionError(f"compose requires {name} ({rest}): add it to OPERATOR_SUPPLIED")
        return rest if operator == ":-" else ""

    return re.sub(r"\$\{(\w+)(:-|:\?)?([^}]*)\}", one, value)


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def service_environment(service: str) -> dict[str, str]:
    """What a container of `service` sees: the image's ENV, then compose's."""
    declared = compose()["services"][service].get("environment", {})
    return {
        **image_environment(),
        **{key: interpolate(str(value)) for key, value in declared.items()},
    }


def service_command(service: str) -> list[str]:
    command = compose()["services"][service]["command"]
    assert isinstance(command, list), f"{service}: exec form, so signals reach the process"
    return [str(part) for part in command]


def process_environment(service: str, **overrides: str) -> dict[str, str]:
    """`service`'s environment outside a container: the project's .venv in
    place of the image's, the local services in place of compose's."""
    return {
        **service_environment(service),
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108 - only when HOME is unset
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
        **overrides,
    }


REQUIRED_VARIABLES = """
import json, sys
import environ

required = set()
get_value = environ.Env.get_value

def recording(self, var, *args, **kwargs):
    default = kwargs.get("default", args[1] if len(args) > 1 else environ.Env.NOTSET)
    if default is environ.Env.NOTSET:
        required.add(var)
    return get_value(self, var, *args, **kwargs)

environ.Env.get_value = recording
import firm_portal.settings
sys.stdout.write(json.dumps(sorted(required)))
"""


def settings_requirements(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Loads the settings in `environment` alone, noting every variable
    read without a default (in production: required)."""
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", REQUIRED_VARIABLES],
        cwd=ROOT,
        env={**environment, "PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- The files agree with the settings -------------------------------------------


@pytest.mark.parametrize("service", APP_SERVICES)
def test_compose_sets_every_variable_the_production_settings_require(service):
    environment = service_environment(service)
    assert environment["DJANGO_ENV"] == "production"
    environment["DJANGO_SETTINGS_MODULE"] = "firm_portal.settings"
    result = settings_requirements(environment)
    # The settings load: no ImproperlyConfigured (SMS credentials, say).
    assert result.returncode == 0, result.stderr
    required = json.loads(result.stdout)
    assert "SECRET_KEY" in required  # the recording works
    assert [name for name in required if not environment.get(name)] == []


def test_without_the_secret_the_settings_refuse_and_compose_refuses_first():
    environment = service_environment("web")
    del environment["SECRET_KEY"]
    result = settings_requirements(
        {**environment, "DJANGO_SETTINGS_MODULE": "firm_portal.settings"}
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "${SECRET_KEY:?" in (ROOT / "docker-compose.yml").read_text()


def test_one_image_built_once_runs_every_app_service():
    services = compose()["services"]
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1
    assert [name for name in services if "build" in services[name]] == ["migrate"]
    for name in ("web", "worker", "beat"):
        assert services[name]["pull_policy"] == "never"
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        # No install at start, no shared virtualenv: the code is the image's.
        assert not any(".venv" in str(volume) for volume in services[name].get("volumes", []))
        assert not re.search(r"\b(uv|pip|apt-get)\b", " ".join(service_command(name)))


def test_image_tags_are_pinned():
    images = [stage[0][1].split()[0] for stage in dockerfile_stages()]
    images += [
        service["image"]
        for name, service in compose()["services"].items()
        if name not in APP_SERVICES
    ]
    for image in images:
        tag = image.partition(":")[2]
        assert re.search(r"\d+\.\d+", tag), f"{image}: pin a version"
        assert "latest" not in tag


def test_the_image_is_built_in_stages_and_runs_as_a_user():
    builder, runtime = dockerfile_stages()
    builder_text = " ".join(arguments for _, arguments in builder)
    assert "uv sync --locked --no-dev" in builder_text
    assert "compilemessages" in builder_text and "collectstatic --noinput" in builder_text
    runtime_instructions = dict(runtime)
    assert runtime_instructions["USER"] not in {"root", "0", "0:0"}
    assert "HEALTHCHECK" in runtime_instructions
    for library in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"):
        assert library in runtime_instructions["RUN"] or any(
            library in arguments for instruction, arguments in runtime if instruction == "RUN"
        )
    # The runtime copies the built app; it installs nothing with uv or pip.
    assert not any(
        re.search(r"\b(uv|pip)\b", arguments)
        for instruction, arguments in runtime
        if instruction == "RUN"
    )


# --- The start commands, outside a container ------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(command: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the image's own commands
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=180, check=False
    )


def http_get(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - a local URL
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_for(predicate, seconds: float = 60) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


@contextmanager
def started(
    command: list[str], environment: dict[str, str], log: Path
) -> Iterator[subprocess.Popen]:
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 - the image's own commands
            command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)


def stop(process: subprocess.Popen, seconds: float) -> int:
    """As `docker stop` does: SIGTERM, and the exit code within the grace period."""
    process.send_signal(signal.SIGTERM)
    return process.wait(seconds)


def json_lines(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


@pytest.mark.django_db
def test_release_commands_migrate_and_pass_the_deployment_checks():
    environment = process_environment("migrate")
    migrate = run(service_command("migrate"), environment)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    check = run(["python", "manage.py", "migrate", "--check"], environment)
    assert check.returncode == 0, check.stdout + check.stderr
    # Behind the TLS-terminating proxy, where HTTPS redirects are on (compose
    # turns them off for plain HTTP on localhost).
    deploy = {**process_environment("web"), "SECURE_SSL_REDIRECT": "true"}
    result = run(["python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"], deploy)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_web_serves_probes_and_metrics_and_stops_gracefully(tmp_path):
    port = free_port()
    environment = process_environment(
        "web",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "web.log"
    # As the image's build does (into var/staticfiles, which git ignores).
    static = run(["python", "manage.py", "collectstatic", "--noinput"], environment)
    assert static.returncode == 0, static.stderr
    with started(service_command("web"), environment, log) as web:
        assert wait_for(lambda: http_get(f"{base}/healthz")[0] == 200), log.read_text()
        # The image's HEALTHCHECK, as Docker runs it.
        healthcheck = json.loads(dict(dockerfile_stages()[-1])["HEALTHCHECK"].split("CMD", 1)[1])
        assert run(healthcheck, environment).returncode == 0
        status, body = http_get(f"{base}/readyz")
        assert (status, json.loads(body)["status"]) == (200, "ok"), body
        # Requests spread over both workers; the scrape adds up every process.
        for _ in range(6):
            assert http_get(f"{base}/logga-in/", Host="localhost")[0] == 200
        assert http_get(f"{base}/metrics")[0] == 404
        token = OPERATOR_SUPPLIED["METRICS_TOKEN"]
        status, metrics = http_get(f"{base}/metrics", Authorization=f"Bearer {token}")
        assert status == 200
        served = re.search(
            r'byraportalen_http_requests_total\{method="GET",status="200",view="login"\} (\S+)',
            metrics,
        )
        assert served and float(served.group(1)) == 6.0, metrics
        assert "byraportalen_outbox_backlog_messages 0.0" in metrics
        assert "byraportalen_login_failures_total 0.0" in metrics  # zeros are there from the start
        assert stop(web, seconds=35) == 0
    logged = json_lines(log)
    assert any(line["message"].startswith("GET /logga-in/ 200") for line in logged)
    assert any(line["message"] == "Shutting down: Master" for line in logged)
    assert {"time", "level", "logger", "message", "request_id", "user_id"} <= set(logged[0])


@pytest.mark.django_db
def test_beat_starts_and_stops(tmp_path):
    command = [
        str(tmp_path / "beat-schedule") if part.startswith("/var/lib/celery/") else part
        for part in service_command("beat")
    ]
    log = tmp_path / "beat.log"
    with started(command, process_environment("beat"), log) as beat:
        assert wait_for(lambda: "beat: Starting" in log.read_text(), 60), log.read_text()
        assert stop(beat, seconds=30) == 0, log.read_text()


@pytest.mark.django_db
def test_worker_serves_metrics_logs_json_and_stops_gracefully(tmp_path):
    port = free_port()
    environment = process_environment(
        "worker",
        WORKER_METRICS_PORT=str(port),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    log = tmp_path / "worker.log"
    with started(service_command("worker"), environment, log) as worker:
        assert wait_for(lambda: " ready." in log.read_text(), 90), log.read_text()
        status, metrics = http_get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        assert 'byraportalen_outbox_messages_failed_total{channel="email"} 0.0' in metrics
        assert "byraportalen_invoicing_runs_total" in metrics
        assert stop(worker, seconds=60) == 0
    logged = json_lines(log)
    ready = [line for line in logged if line["message"].endswith(" ready.")]
    assert ready and ready[0]["logger"] == "celery.apps.worker"
