from celery import shared_task

from clients import services


@shared_task(name="clients.end_expired_access")
def end_expired_access() -> int:
    return services.memberships_end_expired()
