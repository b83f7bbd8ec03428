"""Celery tasks of "Åtkomstgranskning": thin wrappers taking ids."""

from celery import shared_task

from collaboration.access_review import apply, services


@shared_task(name="collaboration.apply_access_review", acks_late=True)
def apply_access_review(review_id: int) -> bool:
    """One batch of a completed review's decisions; the next batch is a task
    of its own, so no task runs long and progress shows between them."""
    more = apply.review_apply_batch(review_id=review_id)
    if more:
        apply_access_review.delay(review_id)
    else:
        finish_access_review.delay(review_id)
    return more


# Rendering a 30,000-row report takes longer than a batch: its own limits.
@shared_task(
    name="collaboration.finish_access_review", acks_late=True, soft_time_limit=1500, time_limit=1800
)
def finish_access_review(review_id: int) -> bool:
    return apply.review_finish(review_id=review_id)


@shared_task(name="collaboration.access_reviews_daily")
def access_reviews_daily() -> dict[str, int]:
    """The quarter's reviews, reminders, and any review whose batches
    stopped (a lost task) taken up again."""
    started = services.access_reviews_start_quarterly()
    reminded = services.access_reviews_remind()
    resumed = services.reviews_applying()
    for review_id in resumed:
        apply_access_review.delay(review_id)
    return {"started": started, "reminded": reminded, "resumed": len(resumed)}
