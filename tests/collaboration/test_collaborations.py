"""Services of "Samarbeten": licences, plan, invoice recipient, ending."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from clients.models import ClientAssignment, Membership, Plan, ProgramLevel, SubscriptionLicense
from collaboration.changes import services
from collaboration.models import Coupling
from ledger.models import AccessEvent
from licensing.models import (
    BillingChange,
    LicenseChange,
    PlanChange,
    Recipient,
    SubscriptionBilling,
)
from notifications.models import OutboxMessage
from tests import factories
from tests.collaboration.collaborations_fixtures import Collab, make_collab
from tests.conftest import World
from tests.licensing.factories import replace_price_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def collab(world: World) -> Collab:
    return make_collab(world)


NOT_PAYER = (
    "Kunden är fakturamottagare, så licenser, variant och fakturamottagare ändras av kundens "
    "systemadministratör."
)


def bokforing_id() -> int:
    return factories.program("bokforing").pk


def events(kind: str) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(kind=kind).order_by("pk"))


# --- Licences --------------------------------------------------------------------------


def test_adding_licences_is_billable_and_logged(world: World, collab: Collab) -> None:
    lon = factories.program("lon")

    changes = services.collaboration_licenses_set(
        actor=world.firm_admin.user,
        subscription=world.subscription,
        seats={bokforing_id(): 5, lon.pk: 1},
        firm_id=world.firm.pk,
        paying_firm_id=world.firm.pk,
    )

    assert [(c.program.code, c.before, c.after) for c in changes] == [
        ("bokforing", 3, 5),
        ("lon", 0, 1),
    ]
    assert dict(
        SubscriptionLicense.objects.filter(subscription=world.subscription).values_list(
            "program__code", "seats"
        )
    ) == {"bokforing": 5, "lon": 1}
    assert sorted(
        LicenseChange.objects.values_list("program__code", "delta", "seats_after", "actor")
    ) == [("bokforing", 2, 5, world.firm_admin.user.pk), ("lon", 1, 1, world.firm_admin.user.pk)]
    logged = events(AccessEvent.Kind.LICENSES_CHANGED)
    assert [(e.before, e.after, e.firm_id) for e in logged] == [
        ({"program": "bokforing", "seats": 3}, {"program": "bokforing", "seats": 5}, world.firm.pk),
        ({"program": "lon", "seats": 0}, {"program": "lon", "seats": 1}, world.firm.pk),
    ]


def test_removing_licences_down_to_those_in_use(world: World, collab: Collab) -> None:
    services.collaboration_licenses_set(
        actor=world.sysadmin, subscription=world.subscription, seats={bokforing_id(): 2}
    )

    assert SubscriptionLicense.objects.get(subscription=world.subscription).seats == 2
    assert list(LicenseChange.objects.values_list("delta", "seats_after")) == [(-1, 2)]


def test_licences_never_below_the_seats_in_use(world: World, collab: Collab) -> None:
    with pytest.raises(ValidationError) as caught:
        services.collaboration_licenses_set(
            actor=world.sysadmin, subscription=world.subscription, seats={bokforing_id(): 1}
        )

    assert caught.value.message_dict == {
        "seats_bokforing": [
            "Bokföring används av 2 personer, så antalet licenser kan inte bli lägre än 2. "
            "Ta bort behörigheter i Tilldela behörigheter först."
        ]
    }
    assert SubscriptionLicense.objects.get(subscription=world.subscription).seats == 3
    assert not LicenseChange.objects.exists()
    assert not events(AccessEvent.Kind.LICENSES_CHANGED)


def test_one_person_is_singular(world: World, collab: Collab) -> None:
    """Issue 14: "används av 1 personer"."""
    ProgramLevel.objects.filter(
        membership__subscription=world.subscription, program__code="bokforing"
    ).exclude(membership=world.sysadmin_membership).delete()
    with pytest.raises(ValidationError) as caught:
        services.collaboration_licenses_set(
            actor=world.sysadmin, subscription=world.subscription, seats={bokforing_id(): 0}
        )
    assert caught.value.message_dict["seats_bokforing"] == [
        "Bokföring används av 1 person, så antalet licenser kan inte bli lägre än 1. "
        "Ta bort behörigheter i Tilldela behörigheter först."
    ]


def test_the_firm_changes_nothing_once_the_customer_pays(world: World, collab: Collab) -> None:
    SubscriptionBilling.objects.filter(subscription=world.subscription).update(
        recipient=Recipient.CLIENT, firm=None
    )

    with pytest.raises(ValidationError) as caught:
        services.collaboration_licenses_set(
            actor=world.firm_admin.user,
            subscription=world.subscription,
            seats={bokforing_id(): 4},
            firm_id=world.firm.pk,
            paying_firm_id=world.firm.pk,
        )

    assert caught.value.messages == [NOT_PAYER]
    assert not LicenseChange.objects.exists()


# --- Plan --------------------------------------------------------------------------------


def test_plan_change_is_recorded_for_billing_and_the_ledger(world: World, collab: Collab) -> None:
    change = services.collaboration_plan_change(
        actor=world.sysadmin, subscription=world.subscription, plan=Plan.PRO
    )

    world.subscription.refresh_from_db()
    assert world.subscription.plan == Plan.PRO
    assert (change.plan_before, change.plan_after, change.actor) == ("smart", "pro", world.sysadmin)
    assert [(e.before, e.after) for e in events(AccessEvent.Kind.PLAN_CHANGED)] == [
        ({"plan": "smart"}, {"plan": "pro"})
    ]


@pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
def test_plan_change_under_real_transactions(world: World, collab: Collab) -> None:
    # An earlier transactional test may have emptied the seeded price list.
    replace_price_list(
        plans={"smart": ("300.00", "240.00"), "pro": ("450.00", "360.00")},
        programs={
            ("smart", "bokforing"): ("150.00", "119.00"),
            ("pro", "bokforing"): ("180.00", "139.00"),
        },
    )
    services.collaboration_plan_change(
        actor=world.sysadmin, subscription=world.subscription, plan=Plan.PRO
    )
    world.subscription.refresh_from_db()
    assert world.subscription.plan == Plan.PRO
    assert list(PlanChange.objects.values_list("plan_before", "plan_after")) == [("smart", "pro")]


def test_the_same_plan_again_is_refused(world: World, collab: Collab) -> None:
    with pytest.raises(ValidationError) as caught:
        services.collaboration_plan_change(
            actor=world.sysadmin, subscription=world.subscription, plan=Plan.SMART
        )

    assert caught.value.message_dict == {"plan": ["Abonnemanget har redan varianten Smart."]}
    assert not PlanChange.objects.exists()


def test_a_plan_that_does_not_include_a_held_program_is_refused(
    world: World, collab: Collab
) -> None:
    # clients.catalogue.PLAN_PROGRAMS: Faktura has no Bokföring (priced or not).
    with pytest.raises(ValidationError) as caught:
        services.collaboration_plan_change(
            actor=world.sysadmin, subscription=world.subscription, plan=Plan.FAKTURA
        )

    assert caught.value.message_dict == {
        "plan": ["Varianten Faktura omfattar inte Bokföring. Ta bort de licenserna först."]
    }
    world.subscription.refresh_from_db()
    assert world.subscription.plan == Plan.SMART


# --- Invoice recipient ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
def test_recipient_change_takes_effect_next_month(world: World, collab: Collab) -> None:
    change = services.collaboration_recipient_change(
        actor=world.firm_admin.user,
        subscription=world.subscription,
        choice=services.RecipientChoice.CLIENT,
        firm=world.firm,
        firm_id=world.firm.pk,
        paying_firm_id=world.firm.pk,
    )

    assert change.effective_on == services.next_month_first()
    assert change.effective_on.day == 1
    assert (change.recipient_before, change.firm_before, change.recipient_after) == (
        Recipient.FIRM,
        world.firm,
        Recipient.CLIENT,
    )
    saved = SubscriptionBilling.objects.get(subscription=world.subscription)
    # Agreement period and renewal stay; only the payer changes.
    assert (saved.recipient, saved.firm, saved.starts_on, saved.renews_on) == (
        Recipient.CLIENT,
        None,
        date(2025, 1, 1),
        date(2026, 1, 1),
    )
    (logged,) = events(AccessEvent.Kind.RECIPIENT_CHANGED)
    assert logged.after == {
        "recipient": "client",
        "firm": None,
        "consolidated": False,
        "effective_on": change.effective_on.isoformat(),
    }


def test_samlingsfaktura_needs_a_reseller_agreement(world: World, collab: Collab) -> None:
    with pytest.raises(ValidationError) as caught:
        services.collaboration_recipient_change(
            actor=world.firm_admin.user,
            subscription=world.subscription,
            choice=services.RecipientChoice.FIRM_CONSOLIDATED,
            firm=world.firm,
            paying_firm_id=world.firm.pk,
        )

    assert caught.value.message_dict == {
        "recipient": [
            "Revisorerna Norr AB har inget aktivt återförsäljaravtal. Samlingsfaktura kräver ett "
            "återförsäljaravtal; välj en vanlig faktura eller kontakta oss för att teckna avtal."
        ]
    }
    assert not BillingChange.objects.exists()


def test_the_same_recipient_again_is_refused(world: World, collab: Collab) -> None:
    with pytest.raises(ValidationError) as caught:
        services.collaboration_recipient_change(
            actor=world.firm_admin.user,
            subscription=world.subscription,
            choice=services.RecipientChoice.FIRM,
            firm=world.firm,
        )

    assert caught.value.message_dict == {
        "recipient": ["Det är redan den fakturamottagaren. Välj en annan."]
    }


# --- Ending --------------------------------------------------------------------------------


def test_firm_ends_a_collaboration(world: World, collab: Collab) -> None:
    assignment = ClientAssignment.objects.get(subscription=world.subscription)

    services.collaboration_end(
        actor=world.firm_admin.user, coupling=collab.coupling, side=services.Side.FIRM
    )

    collab.coupling.refresh_from_db()
    assert collab.coupling.status == Coupling.Status.ENDED
    assert collab.coupling.ended_at is not None
    # Erik is out and his Bokföring seat is free; the customer's people stay.
    assert not Membership.objects.filter(pk=collab.erik_membership.pk).exists()
    assert ProgramLevel.objects.filter(membership__subscription=world.subscription).count() == 1
    assert not ClientAssignment.objects.filter(pk=assignment.pk).exists()
    (removed,) = events(AccessEvent.Kind.MEMBER_REMOVED)
    assert (removed.subject_id, removed.firm_id) == (world.consultant.user_id, world.firm.pk)
    (ended,) = events(AccessEvent.Kind.COUPLING_ENDED)
    assert ended.after == {
        "side": "firm",
        "freed": {"bokforing": 1},
        "unused_before": {"bokforing": 1},
        "firm_paid": True,
    }
    # The firm paid: the customer pays from the first of next month.
    change = BillingChange.objects.get()
    assert (change.recipient_after, change.effective_on) == (
        Recipient.CLIENT,
        services.next_month_first(),
    )
    # Lisa, the customer's sysadmin, is told.
    assert list(
        OutboxMessage.objects.filter(template="collaboration-ended").values_list(
            "recipient", "subject"
        )
    ) == [
        (
            world.sysadmin.email,
            "Samarbetet mellan Revisorerna Norr AB och Bageriet Solsidan AB är avslutat",
        )
    ]
    body = OutboxMessage.objects.get().body_text
    assert "Anna Admin på Revisorerna Norr AB har avslutat byråns samarbete" in body
    assert "är Bageriet Solsidan AB fakturamottagare" in body


def test_customer_ends_and_the_firm_is_told(world: World, collab: Collab) -> None:
    SubscriptionBilling.objects.filter(subscription=world.subscription).update(
        recipient=Recipient.CLIENT, firm=None
    )

    services.collaboration_end(
        actor=world.sysadmin, coupling=collab.coupling, side=services.Side.CLIENT
    )

    assert not BillingChange.objects.exists()  # the customer already paid
    assert sorted(
        OutboxMessage.objects.filter(template="collaboration-ended").values_list(
            "recipient", flat=True
        )
    ) == sorted([world.firm_admin.user.email, world.consultant.user.email])
    assert "Lisa Sysadmin hos Bageriet Solsidan AB har avslutat samarbetet" in (
        OutboxMessage.objects.first().body_text  # type: ignore[union-attr]
    )


def test_ending_is_refused_when_no_sysadmin_would_be_left(world: World, collab: Collab) -> None:
    Membership.objects.filter(pk=world.sysadmin_membership.pk).update(is_sysadmin=False)
    Membership.objects.filter(pk=collab.erik_membership.pk).update(is_sysadmin=True)

    with pytest.raises(services.CollaborationEndRefused) as caught:
        services.collaboration_end(
            actor=world.firm_admin.user, coupling=collab.coupling, side=services.Side.FIRM
        )

    assert caught.value.messages == [
        "Det går inte att avsluta samarbetet: konsulter från Revisorerna Norr AB är de enda "
        f"systemadministratörerna i abonnemanget {world.subscription.number}. Kunden behöver "
        "först göra någon annan till systemadministratör."
    ]
    collab.coupling.refresh_from_db()
    assert collab.coupling.status == Coupling.Status.ACTIVE
    assert Membership.objects.filter(pk=collab.erik_membership.pk).exists()
    assert not events(AccessEvent.Kind.COUPLING_ENDED)
    assert not BillingChange.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_ending_twice_is_refused(world: World, collab: Collab) -> None:
    services.collaboration_end(
        actor=world.sysadmin, coupling=collab.coupling, side=services.Side.CLIENT
    )

    with pytest.raises(services.CollaborationEndRefused) as caught:
        services.collaboration_end(
            actor=world.sysadmin, coupling=collab.coupling, side=services.Side.CLIENT
        )

    assert caught.value.messages == ["Samarbetet med Revisorerna Norr AB är redan avslutat."]
    assert len(events(AccessEvent.Kind.COUPLING_ENDED)) == 1
