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

    @property
    def short(self) -> bool:
        """Fewer SMS granted than were wanted: the rest are held."""
        return self.granted < self.wanted

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
