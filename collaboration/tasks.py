from celery import shared_task

from collaboration.agreements.services import agreement_asks_remind
from collaboration.requests import services


@shared_task(name="collaboration.activate_scheduled_couplings")
def activate_scheduled_couplings() -> int:
    return services.couplings_activate_due()


@shared_task(name="collaboration.expire_stale_requests")
def expire_stale_requests() -> int:
    return services.collaboration_requests_expire()


@shared_task(name="collaboration.remind_agreement_asks")
def remind_agreement_asks() -> int:
    return agreement_asks_remind()
