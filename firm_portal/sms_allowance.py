"""SMS per firm and day: a firm's actions (client-user invitations, the
new-customer welcome) may send at most settings.SMS_DAILY_LIMIT_PER_FIRM SMS
a day (Europe/Stockholm). Beyond it the e-mail still goes, and the SMS is
written to the outbox as held ("Hålls inne"): never sent on its own, visible
to support in Django admin, who can send it ("Skicka hållna sms"). The
sender is told on the page that confirms the action.

Held rather than dropped: the e-mail carries the same link, so nobody is cut
off, and a firm with a real need loses nothing support cannot release; a
flood (a script, a stolen login) costs nothing and is visible."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from firm_portal.models import FirmSmsDay
from firm_portal.timeutils import today_in_stockholm
from notifications.services import outbox_enqueue_sms


@dataclass
class SmsAllowance:
    """SMS claimed for one action; `send` uses them up, then holds the rest."""

    granted: int
    limit: int
    wanted: int = 0
    used: int = 0

    def send(self, *, to: str, template: str, context: dict[str, Any]) -> bool:
        """Enqueue the SMS, or hold it once the claim is used up; True if it goes."""
        goes = self.used < self.granted
        if goes:
            self.used += 1
        outbox_enqueue_sms(
            to=to,
            template=template,
            context=context,
            held_reason="" if goes else self.held_reason,
        )
        return goes

    @property
    def held_reason(self) -> str:
        return _(
            "Byråns gräns på %(limit)s sms per dygn var nådd; e-posten skickades. "
            "Support kan skicka sms:et med ”Skicka hållna sms”."
        ) % {"limit": self.limit}


def held_sms_message(*, count: int, limit: int) -> str:
    """What the sender is told when `count` SMS are (or will be) held: how
    many, and what happens to them (they go only when support releases them;
    nothing sends them the next day)."""
    return ngettext(
        "%(count)s sms hålls inne: byrån har nått gränsen på %(limit)s sms per dygn. "
        "E-posten skickas ändå. Sms:et skickas först när support släpper det, inte "
        "automatiskt nästa dag; kontakta support om det behöver skickas.",
        "%(count)s sms hålls inne: byrån har nått gränsen på %(limit)s sms per dygn. "
        "E-posten skickas ändå. Sms:en skickas först när support släpper dem, inte "
        "automatiskt nästa dag; kontakta support om de behöver skickas.",
        count,
    ) % {"count": count, "limit": limit}


def sms_left_today(*, firm_id: int) -> int:
    """How many SMS the firm may still send today (a read, nothing claimed)."""
    sent = (
        FirmSmsDay.objects.filter(firm_id=firm_id, day=today_in_stockholm())
        .values_list("sent", flat=True)
        .first()
    )
    return max(0, settings.SMS_DAILY_LIMIT_PER_FIRM - (sent or 0))


def firm_sms_allowance(*, firm_id: int, wanted: int) -> SmsAllowance:
    """Claim up to `wanted` of the firm's SMS for today. Call inside the
    transaction that enqueues them: the day's row stays locked until it
    commits, so two sends at the same moment cannot both take the last ones,
    and a rolled-back send gives its SMS back."""
    limit = settings.SMS_DAILY_LIMIT_PER_FIRM
    if wanted <= 0:
        return SmsAllowance(granted=0, limit=limit, wanted=0)
    day = today_in_stockholm()
    FirmSmsDay.objects.bulk_create([FirmSmsDay(firm_id=firm_id, day=day)], ignore_conflicts=True)
    sent = (
        FirmSmsDay.objects.select_for_update()
        .filter(firm_id=firm_id, day=day)
        .values_list("sent", flat=True)
        .get()
    )
    granted = max(0, min(wanted, limit - sent))
    if granted:
        FirmSmsDay.objects.filter(firm_id=firm_id, day=day).update(sent=F("sent") + granted)
    return SmsAllowance(granted=granted, limit=limit, wanted=wanted)
