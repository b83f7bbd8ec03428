"""Who pays for a subscription: the choice of payer ("Fakturamottagare",
"Samlingsfaktura", "Avtalsperiod") and its yearly or quarterly renewal."""

from collections import defaultdict
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from clients.models import Subscription
from firm_portal.models import Firm
from firm_portal.timeutils import today_in_stockholm
from licensing.models import Recipient, ResellerAgreement, SubscriptionBilling
from licensing.pricing import add_months


def reseller_agreement_active(*, firm_id: int, on: date) -> bool:
    return (
        ResellerAgreement.objects.filter(firm_id=firm_id, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .exists()
    )


def billing_validate(
    *,
    recipient: str,
    firm: Firm | None,
    consolidated: bool,
    period_months: int,
    starts_on: date,
    today: date | None = None,
) -> None:
    """Raise ValidationError (per field, in Swedish) unless the choice is allowed.

    Samlingsfaktura needs the paying firm to have a reseller agreement valid
    today and, when the subscription's agreement starts later, on that day too."""
    today = today or today_in_stockholm()
    errors: dict[str, list[str]] = defaultdict(list)
    if recipient not in Recipient.values:
        errors["recipient"].append(_("Välj vem som ska få fakturan."))
    if period_months not in (3, 12):
        errors["period_months"].append(_("Avtalsperioden är 3 eller 12 månader."))
    if recipient == Recipient.FIRM and firm is None:
        errors["firm"].append(_("Välj byrån när byrån är fakturamottagare."))
    if recipient == Recipient.CLIENT and firm is not None:
        errors["firm"].append(_("Ange ingen byrå när kunden är fakturamottagare."))
    if consolidated:
        if recipient != Recipient.FIRM:
            errors["consolidated"].append(
                _("Samlingsfaktura går bara till byrån. Välj byrån som fakturamottagare.")
            )
        elif firm is not None and not all(
            reseller_agreement_active(firm_id=firm.pk, on=day)
            for day in {today, max(today, starts_on)}
        ):
            errors["consolidated"].append(
                _(
                    "%(firm)s har inget aktivt återförsäljaravtal. Samlingsfaktura kräver ett "
                    "återförsäljaravtal; välj en vanlig faktura eller kontakta oss för att "
                    "teckna avtal."
                )
                % {"firm": firm.name}
            )
    if errors:
        raise ValidationError(dict(errors))


@transaction.atomic
def subscription_billing_set(
    *,
    subscription: Subscription,
    recipient: str,
    firm: Firm | None = None,
    consolidated: bool = False,
    period_months: int = 12,
    starts_on: date | None = None,
    street: str = "",
    postal_code: str = "",
    city: str = "",
    invoice_email: str = "",
    reference: str = "",
) -> SubscriptionBilling:
    """Choose who pays for a subscription ("Fakturamottagare", "Samlingsfaktura",
    "Avtalsperiod"). The renewal date is the start plus the period."""
    starts_on = starts_on or today_in_stockholm()
    billing_validate(
        recipient=recipient,
        firm=firm,
        consolidated=consolidated,
        period_months=period_months,
        starts_on=starts_on,
    )
    billing, _created = SubscriptionBilling.objects.update_or_create(
        subscription=subscription,
        defaults={
            "recipient": recipient,
            "firm": firm if recipient == Recipient.FIRM else None,
            "consolidated": consolidated,
            "period_months": period_months,
            "starts_on": starts_on,
            "renews_on": add_months(starts_on, period_months),
            "street": street,
            "postal_code": postal_code,
            "city": city,
            "invoice_email": invoice_email,
            "reference": reference,
        },
    )
    return billing


def subscription_billings_renew(*, today: date | None = None) -> int:
    """Agreements renew by themselves for another period ("förnyas"): move
    every renewal date that has passed to the next one after `today`, counted
    in whole periods from the start (so 31 January stays the 31st, or the
    month's last day). Returns how many moved."""
    today = today or today_in_stockholm()
    moved = 0
    for billing in SubscriptionBilling.objects.filter(renews_on__lte=today).only(
        "pk", "starts_on", "renews_on", "period_months"
    ):
        periods = 1
        while (
            renews_on := add_months(billing.starts_on, periods * billing.period_months)
        ) <= today:
            periods += 1
        # Compare-and-set: a concurrent change of the agreement wins.
        moved += SubscriptionBilling.objects.filter(
            pk=billing.pk, renews_on=billing.renews_on
        ).update(renews_on=renews_on)
    return moved
