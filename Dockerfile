# syntax=docker/dockerfile:1
# One image for web, worker and beat (docker-compose.yml; README, "Runbook").
#   docker build -t byraportalen:$(git rev-parse --short HEAD) .
# Base images are pinned by version; bump them deliberately (and rebuild
# monthly for Debian's security updates).

# --- builder: the locked dependencies, compiled messages, collected static files
FROM python:3.13.12-slim-trixie AS builder

# gettext for compilemessages. Debian's packages are not pinned by version:
# the archive keeps only the current one, so a pin breaks the next build.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
# The same uv as the Makefile's.
RUN pip install --no-cache-dir uv==0.13.9

ENV UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock .python-version ./
RUN uv sync --locked --no-dev --no-cache
COPY . .
# The settings need a key to load; this one exists only in this build step.
# SMS_BACKEND=console: the build has no 46elks credentials (and needs none).
RUN export DJANGO_ENV=production SECRET_KEY=build-only-not-a-secret SMS_BACKEND=console \
    && .venv/bin/python manage.py compilemessages --ignore=.venv \
    && .venv/bin/python manage.py collectstatic --noinput

# --- runtime: Python, WeasyPrint's system libraries, the app; no compiler, no uv
FROM python:3.13.12-slim-trixie AS runtime

# Pango and HarfBuzz for WeasyPrint (invoice PDFs, rendered by the workers
# and the web), and the fonts the invoice template asks for.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        fonts-liberation fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY --from=builder /app /app

# A user of its own. The code stays root's (read-only to the app); only
# uploads, beat's schedule and the metrics files are writable.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app \
    && mkdir -p /app/var/media /var/lib/celery /tmp/prometheus \
    && chown app:app /app/var/media /var/lib/celery /tmp/prometheus

# PROMETHEUS_MULTIPROC_DIR: gunicorn's and Celery's processes add up their
# metrics there. REMAP_SIGTERM: SIGTERM stops a Celery worker softly (finish
# for CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT, then hand tasks back); gunicorn
# ignores it.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_ENV=production \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus \
    REMAP_SIGTERM=SIGQUIT

USER 10001:10001
EXPOSE 8000
# The web's liveness (the worker's and beat's are set in docker-compose.yml).
# Plain urllib: importing the app here would leave a metrics file per probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('GUNICORN_BIND', '0.0.0.0:8000').rsplit(':', 1)[1], timeout=4)"]
CMD ["gunicorn", "--config", "python:firm_portal.gunicorn_conf", "firm_portal.wsgi"]
