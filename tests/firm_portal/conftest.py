"""Fixtures shared by the firm_portal tests: the demo's empty database, and
what the configured log handler writes."""

import importlib
import io
import logging
import logging.config
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.conf import settings

from clients.catalogue import programs_ensure
from clients.models import Client
from firm_portal.log_redaction import RedactPersonalData
from licensing.models import Invoice, PlanPrice


@pytest.fixture
def empty_database_after_migrate() -> None:
    """What `migrate` leaves in a new database: the programs and the first
    price list (a transaction=True test before this one may have flushed them)."""
    programs_ensure()
    if not PlanPrice.objects.exists():
        migration = importlib.import_module("licensing.migrations.0005_price_list")
        migration.load_prices(apps, None)
    assert not Client.objects.exists() and not Invoice.objects.exists()


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the configured console handler (settings.LOGGING) writes."""
    root = logging.getLogger()
    handlers = [
        h for h in root.handlers if any(isinstance(f, RedactPersonalData) for f in h.filters)
    ]
    if not handlers:
        logging.config.dictConfig(settings.LOGGING)
        handlers = [
            h for h in root.handlers if any(isinstance(f, RedactPersonalData) for f in h.filters)
        ]
    [handler] = handlers
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        handler.setStream(previous)
        root.setLevel(level)
