"""One payer's invoice before it is written: its recipient and its lines
(without fees, which are claimed when the invoice is written). Computed from
what the chunk has loaded, without queries. A missing price raises
`PriceMissing`: half a Samlingsfaktura would be wrong, so the whole payer
waits for the fix."""

from dataclasses import dataclass
from datetime import date

from clients.models import Subscription
from firm_portal.models import Firm
from licensing.billing.selectors import FIRM, SUBSCRIPTION, ChunkData
from licensing.invoice_lines import BillableSubscription, LineDraft, seat_lines, subscription_lines
from licensing.models import FirmBillingDetails, Recipient, SubscriptionBilling


@dataclass
class PayerDraft:
    payer_kind: str
    payer_id: int
    recipient_kind: str
    recipient_firm: Firm | None
    subscription: Subscription | None
    is_consolidated: bool
    lines: list[LineDraft]
    name: str
    org_number: str
    details: FirmBillingDetails | SubscriptionBilling | None


def _never(day: date) -> bool:
    return False


def _lines(data: ChunkData, subscription: Subscription, firm_id: int | None) -> list[LineDraft]:
    """A subscription's lines; at reseller prices only on its firm's
    Samlingsfaktura (`firm_id`), at list prices otherwise."""
    item = BillableSubscription(
        subscription=subscription,
        billing=data.billing.get(subscription.pk),
        licenses=data.holdings.get(subscription.pk, {}),
        plan_changes=data.plan_changes.get(subscription.pk, []),
    )
    return subscription_lines(
        item=item,
        month=data.month,
        book=data.book,
        programs=data.programs,
        reseller_on=data.reseller_on(firm_id) if firm_id is not None else _never,
    )


def subscription_draft(data: ChunkData, subscription_id: int) -> PayerDraft | None:
    """The invoice of a subscription that is on no Samlingsfaktura: to the
    client, or to the paying firm at list prices. None when nothing is billed."""
    subscription = data.subscriptions.get(subscription_id)
    if subscription is None:  # ended or paused since the run was planned
        return None
    billing = data.billing.get(subscription_id)
    if billing is not None and billing.consolidated and billing.firm_id is not None:
        return None  # moved onto a Samlingsfaktura since: its firm's invoice has it
    lines = _lines(data, subscription, None)
    if not lines:
        return None
    pays = billing.firm if billing is not None and billing.recipient == Recipient.FIRM else None
    return PayerDraft(
        payer_kind=SUBSCRIPTION,
        payer_id=subscription.pk,
        recipient_kind=Recipient.FIRM if pays else Recipient.CLIENT,
        recipient_firm=pays,
        subscription=subscription,
        is_consolidated=False,
        lines=lines,
        name=pays.name if pays else subscription.client.name,
        org_number=pays.org_number if pays else subscription.client.org_number,
        details=getattr(pays, "billing_details", None) if pays else billing,
    )


def firm_draft(data: ChunkData, firm_id: int) -> PayerDraft | None:
    """A firm's invoice: every subscription on its Samlingsfaktura, then its
    client-manager seats. None when there is nothing to bill and no fee."""
    firm = data.firms.get(firm_id)
    if firm is None:
        return None
    consolidated = data.consolidated.get(firm_id, [])
    lines: list[LineDraft] = []
    for subscription in consolidated:
        lines += _lines(data, subscription, firm_id)
    lines += seat_lines(
        firm=firm,
        holding=data.seat_holdings[firm_id],
        month=data.month,
        book=data.book,
        reseller_on=data.reseller_on(firm_id),
    )
    if not lines and firm_id not in data.firms_with_charges:
        return None
    return PayerDraft(
        payer_kind=FIRM,
        payer_id=firm_id,
        recipient_kind=Recipient.FIRM,
        recipient_firm=firm,
        subscription=None,
        is_consolidated=bool(consolidated),
        lines=lines,
        name=firm.name,
        org_number=firm.org_number,
        details=getattr(firm, "billing_details", None),
    )
