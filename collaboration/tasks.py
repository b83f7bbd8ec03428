from celery import shared_task

from collaboration.requests import services


@shared_task(name="collaboration.activate_scheduled_couplings")
def activate_scheduled_couplings() -> int:
    return services.couplings_activate_due()


@shared_task(name="collaboration.expire_stale_requests")
def expire_stale_requests() -> int:
    return services.collaboration_requests_expire()


# Flow 9, "Åtkomstgranskning" (found by Celery's autodiscovery through this module).
from collaboration.access_review.tasks import (  # noqa: E402, F401
    access_reviews_daily,
    apply_access_review,
)
