from celery import shared_task

from collaboration.access_review.tasks import access_reviews_daily, apply_access_review
from collaboration.agreements.services import agreement_asks_remind
from collaboration.firm_change.tasks import expire_stale_firm_changes, perform_due_firm_changes
from collaboration.reminders.services import reminders_send_due
from collaboration.requests import services


@shared_task(name="collaboration.activate_scheduled_couplings")
def activate_scheduled_couplings() -> int:
    return services.couplings_activate_due()


@shared_task(name="collaboration.expire_stale_requests")
def expire_stale_requests() -> int:
    return services.collaboration_requests_expire()


@shared_task(name="collaboration.send_reminders")
def send_reminders() -> int:
    return reminders_send_due()


@shared_task(name="collaboration.remind_agreement_asks")
def remind_agreement_asks() -> int:
    return agreement_asks_remind()


# Flows 7 and 9 keep their jobs with their concept (collaboration/firm_change/,
# collaboration/access_review/); imported here so the worker, which loads each
# app's tasks module, registers them.
__all__ = [
    "access_reviews_daily",
    "activate_scheduled_couplings",
    "apply_access_review",
    "expire_stale_firm_changes",
    "expire_stale_requests",
    "perform_due_firm_changes",
    "remind_agreement_asks",
    "send_reminders",
]
