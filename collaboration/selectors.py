"""Reads that hang on couplings: which subscriptions a firm collaborates
with, and which of them a consultant sees. Their home is the lowest app that
knows couplings (README, "Layers"); clients and licensing below are handed
the answer by the pages."""

from django.db.models import Exists, OuterRef

from clients.models import Subscription, SubscriptionQuerySet, visible_to_q
from collaboration.models import Coupling, CustomerAcceptance
from firm_portal.models import Consultant, User


def firm_subscriptions(*, firm_id: int) -> SubscriptionQuerySet:
    """Subscriptions the firm is coupled to (active or scheduled)."""
    return Subscription.objects.filter(
        couplings__firm_id=firm_id,
        couplings__status__in=Coupling.AGREED_STATUSES,
    )


def firm_coupled_subscription_ids(*, firm_id: int) -> set[int]:
    """The ids of the subscriptions the firm collaborates with now (agreed:
    active or scheduled)."""
    return set(
        Coupling.objects.agreed().filter(firm_id=firm_id).values_list("subscription_id", flat=True)
    )


def subscriptions_visible_to(*, consultant: Consultant) -> SubscriptionQuerySet:
    """The consultant's clients, the rule's one home: subscriptions their
    firm's coupling is agreed with (`Coupling.objects.agreed()`) that they
    see (`clients.models.visible_to_q`: admins all, others the assigned)."""
    coupled = Coupling.objects.agreed().filter(
        firm_id=consultant.firm_id, subscription_id=OuterRef("pk")
    )
    return Subscription.objects.filter(Exists(coupled), visible_to_q(consultant))


def firm_coupled(*, firm_id: int, subscription_id: int) -> bool:
    """Whether the firm collaborates with the subscription now (an agreed
    coupling): the check a join offer as system administrator needs
    (`clients.invitations.services.FirmCoupled`)."""
    return (
        Coupling.objects.agreed().filter(firm_id=firm_id, subscription_id=subscription_id).exists()
    )


def unclaimed_contact(user: User) -> bool:
    """An account "Skapa nytt samarbete" made for an address (inactive, no
    password) whose owner has not claimed it yet (the password forms of
    firm_portal/forms.py are handed this by the pages)."""
    return (
        not user.is_active
        and not user.has_usable_password()
        and CustomerAcceptance.objects.filter(contact=user, created_contact=True).exists()
    )
