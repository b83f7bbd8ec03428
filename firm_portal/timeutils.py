"""Dates as people in Sweden see them: deadlines and start dates are in
Europe/Stockholm, whatever the server's clock zone."""

from datetime import date
from zoneinfo import ZoneInfo

from django.utils import timezone

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def today_in_stockholm() -> date:
    return timezone.now().astimezone(STOCKHOLM).date()
