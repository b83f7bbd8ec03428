"""Caps on "Skicka igen": every action that sends an invitation, a join
offer or the new customer's welcome again counts, per item and per
recipient, in the cache (Redis in production, shared by every worker) for a
day from the first resend. At the cap nothing is sent and the firm is told
why. Password reset has its own cap (PASSWORD_RESET_EMAILS_PER_HOUR).

RESENDS_PER_ITEM_PER_DAY (default 3) resends of one invitation, offer or
welcome; RESENDS_PER_RECIPIENT_PER_DAY (default 5) resends to one person,
whoever sends them."""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

from firm_portal.models import User

WINDOW_SECONDS = 24 * 60 * 60


class ResendLimitReached(ValidationError):
    pass


@dataclass(frozen=True)
class Resend:
    """One message about to be sent again: what (e.g. "offer:12") and to whom."""

    item: str
    recipient: User


def _item_key(resend: Resend) -> str:
    return f"resends:item:{resend.item}"


def _recipient_key(resend: Resend) -> str:
    return f"resends:recipient:{resend.recipient.pk}"


def resends_check(resends: list[Resend]) -> None:
    """Raise ResendLimitReached (nothing counted) if any of them is at a cap."""
    per_item = settings.RESENDS_PER_ITEM_PER_DAY
    per_recipient = settings.RESENDS_PER_RECIPIENT_PER_DAY
    planned: dict[str, int] = {}
    for resend in resends:
        for key in (_item_key(resend), _recipient_key(resend)):
            planned[key] = planned.get(key, 0) + 1
    sent = cache.get_many(list(planned))
    for resend in resends:
        if sent.get(_item_key(resend), 0) + planned[_item_key(resend)] > per_item:
            raise ResendLimitReached(
                ngettext(
                    "Inget skickades: samma inbjudan kan skickas igen högst %(count)s gång "
                    "per dygn. Försök igen senare.",
                    "Inget skickades: samma inbjudan kan skickas igen högst %(count)s gånger "
                    "per dygn. Försök igen senare.",
                    per_item,
                )
                % {"count": per_item},
                code="resend_item_limit",
            )
        if sent.get(_recipient_key(resend), 0) + planned[_recipient_key(resend)] > per_recipient:
            raise ResendLimitReached(
                ngettext(
                    "Inget skickades: %(email)s kan få högst %(count)s påminnelse per dygn. "
                    "Försök igen senare.",
                    "Inget skickades: %(email)s kan få högst %(count)s påminnelser per dygn. "
                    "Försök igen senare.",
                    per_recipient,
                )
                % {"count": per_recipient, "email": resend.recipient.email},
                code="resend_recipient_limit",
            )


def resends_count(resends: list[Resend]) -> None:
    """Check, then count them (call right before sending, in the sending
    transaction: a refusal rolls everything back)."""
    resends_check(resends)
    for resend in resends:
        for key in (_item_key(resend), _recipient_key(resend)):
            cache.add(key, 0, timeout=WINDOW_SECONDS)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr: a new day
                cache.add(key, 1, timeout=WINDOW_SECONDS)
