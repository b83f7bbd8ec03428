from datetime import date

from celery import shared_task

from firm_portal.timeutils import today_in_stockholm
from licensing import billing


@shared_task(
    name="licensing.run_monthly_invoicing",
    # A run over every payer takes longer than the default limit; it is
    # idempotent per payer, so a run cut short is finished by the next one.
    time_limit=3600,
    soft_time_limit=3500,
)
def run_monthly_invoicing(month: str | None = None) -> int:
    """Invoice the month that has just ended (or `month`, an ISO date in it),
    after rolling renewal dates forward. Returns the month's invoice count."""
    today = today_in_stockholm()
    target = date.fromisoformat(month) if month else billing.Month.of(today).previous().first
    billing.subscription_billings_renew(today=today)
    return len(billing.invoicing_run(month=target))
