"""The demo's "Byte av byrå" (flow 7): one subscription where Redovisningsbyrån
Norr AB can ask to take over from the one other firm coupled to it. Chosen
from the demo world (seed_demo) by rule, so it follows that world: the first
client, by name, coupled to exactly one firm other than Norr, with a
sysadmin of its own and no request or change from Norr. The firm coupled
there becomes its payer, so the preview shows the invoice moving. Run by
`manage.py seed_firm_change` (after seed_demo; `make run` runs both)."""

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q

from clients.models import Membership, Subscription
from collaboration.models import CollaborationRequest, Coupling, FirmChange
from firm_portal.models import Firm
from licensing.models import AgreementPeriod, Recipient, SubscriptionBilling
from licensing.pricing import add_months

NORR_NAME = "Redovisningsbyrån Norr AB"


def firm_change_subscription(*, norr: Firm) -> Subscription | None:
    own_sysadmin = Membership.objects.sysadmins().filter(
        subscription_id=OuterRef("pk"), consultant__isnull=True
    )
    norr_involved = Q(couplings__firm=norr) | Q(collaboration_requests__firm=norr)
    return (
        Subscription.objects.filter(status=Subscription.Status.ACTIVE)
        .filter(Exists(own_sysadmin))
        .exclude(norr_involved)
        .exclude(Exists(FirmChange.objects.open().filter(subscription_id=OuterRef("pk"))))
        .annotate(
            active_couplings=Count("couplings", filter=Q(couplings__status=Coupling.Status.ACTIVE))
        )
        .filter(active_couplings=1)
        .exclude(
            Exists(
                CollaborationRequest.objects.filter(
                    subscription_id=OuterRef("pk"), status=CollaborationRequest.Status.PENDING
                )
            )
        )
        .select_related("client")
        .order_by("client__name", "number")
        .first()
    )


def firm_change_demo(out: Any) -> None:
    """Prepare the subscription (its coupled firm pays for it) and say where
    it is (`out`: the command's stdout, which ends each line itself)."""
    norr = Firm.objects.filter(name=NORR_NAME).first()
    subscription = firm_change_subscription(norr=norr) if norr else None
    if subscription is None:
        out.write("Byte av byrå: inget abonnemang i demovärlden passar (kör seed_demo först).")
        return
    coupling = Coupling.objects.active().select_related("firm").get(subscription=subscription)
    SubscriptionBilling.objects.update_or_create(
        subscription=subscription,
        defaults={
            "recipient": Recipient.FIRM,
            "firm": coupling.firm,
            "consolidated": False,
            "period_months": AgreementPeriod.TWELVE_MONTHS,
            "starts_on": coupling.starts_on,
            "renews_on": add_months(coupling.starts_on, AgreementPeriod.TWELVE_MONTHS),
        },
    )
    sysadmin = (
        Membership.objects.sysadmins()
        .filter(subscription=subscription, consultant__isnull=True)
        .select_related("user")
        .order_by("user__email")
        .first()
    )
    out.write(
        f'Byte av byrå: `anna@norr.demo` → "Ny klient" → `{subscription.client.org_number}` '
        f"({subscription.client.name}, sammankopplad med {coupling.firm.name}, som betalar) → "
        f'"Byte av byrå"; kunden svarar som `{sysadmin.user.email if sysadmin else "-"}`.\n'
    )
