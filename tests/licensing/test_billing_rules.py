"""Who pays: Fakturamottagare, Samlingsfaktura (needs Återförsäljaravtal), Avtalsperiod."""

from datetime import date, timedelta
from typing import cast

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clients.catalogue import programs_ensure
from firm_portal.models import Firm
from firm_portal.timeutils import today_in_stockholm
from licensing import billing
from licensing.models import Recipient, ResellerAgreement, SubscriptionBilling
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm() -> Firm:
    programs_ensure()
    return cast(Firm, factories.FirmFactory(name="Revisorerna Norr AB"))


def _set(paying_firm: Firm | None, **overrides: object) -> SubscriptionBilling:
    values: dict[str, object] = {
        "subscription": factories.SubscriptionFactory(),
        "recipient": Recipient.FIRM,
        "firm": paying_firm,
        "consolidated": True,
        "period_months": 12,
    }
    values.update(overrides)
    return billing.subscription_billing_set(**values)  # type: ignore[arg-type]


def _refusal(error: pytest.ExceptionInfo[ValidationError], field: str) -> list[str]:
    return error.value.message_dict[field]


NO_AGREEMENT = (
    "Revisorerna Norr AB har inget aktivt återförsäljaravtal. Samlingsfaktura kräver ett "
    "återförsäljaravtal; välj en vanlig faktura eller kontakta oss för att teckna avtal."
)


def test_samlingsfaktura_is_refused_without_a_reseller_agreement(firm: Firm) -> None:
    with pytest.raises(ValidationError) as caught:
        _set(firm)

    assert _refusal(caught, "consolidated") == [NO_AGREEMENT]
    assert not SubscriptionBilling.objects.exists()


@pytest.mark.parametrize(
    ("starts", "ends"),
    [
        (-400, -1),  # ended yesterday
        (1, None),  # starts tomorrow
    ],
)
def test_samlingsfaktura_needs_an_agreement_valid_today(
    firm: Firm, starts: int, ends: int | None
) -> None:
    today = today_in_stockholm()
    ResellerAgreement.objects.create(
        firm=firm,
        valid_from=today + timedelta(days=starts),
        valid_to=today + timedelta(days=ends) if ends is not None else None,
    )

    with pytest.raises(ValidationError) as caught:
        _set(firm)

    assert _refusal(caught, "consolidated") == [NO_AGREEMENT]


def test_samlingsfaktura_with_an_active_agreement(firm: Firm) -> None:
    today = today_in_stockholm()
    ResellerAgreement.objects.create(firm=firm, valid_from=today - timedelta(days=30))

    saved = _set(firm, starts_on=date(2026, 3, 31), period_months=3)

    saved.refresh_from_db()
    assert (saved.recipient, saved.firm, saved.consolidated) == (Recipient.FIRM, firm, True)
    assert (saved.starts_on, saved.renews_on) == (date(2026, 3, 31), date(2026, 6, 30))


def test_an_agreement_that_ends_before_a_later_start_is_not_enough(firm: Firm) -> None:
    today = today_in_stockholm()
    ResellerAgreement.objects.create(
        firm=firm, valid_from=today - timedelta(days=30), valid_to=today + timedelta(days=5)
    )

    with pytest.raises(ValidationError) as caught:
        _set(firm, starts_on=today + timedelta(days=10))

    assert _refusal(caught, "consolidated") == [NO_AGREEMENT]


def test_the_firm_may_pay_without_samlingsfaktura_and_without_an_agreement(firm: Firm) -> None:
    saved = _set(firm, consolidated=False, starts_on=date(2026, 1, 15))

    assert (saved.recipient, saved.consolidated, saved.renews_on) == (
        Recipient.FIRM,
        False,
        date(2027, 1, 15),
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"recipient": Recipient.CLIENT, "firm": None},
            "consolidated",
            "Samlingsfaktura går bara till byrån. Välj byrån som fakturamottagare.",
        ),
        (
            {"firm": None, "consolidated": False},
            "firm",
            "Välj byrån när byrån är fakturamottagare.",
        ),
        (
            {"period_months": 6, "consolidated": False},
            "period_months",
            "Avtalsperioden är 3 eller 12 månader.",
        ),
    ],
)
def test_bad_choices_are_refused_per_field(
    firm: Firm, overrides: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _set(firm, **overrides)

    assert _refusal(caught, field) == [message]


def test_setting_again_replaces_the_choice(firm: Firm) -> None:
    first = _set(firm, consolidated=False)

    again = billing.subscription_billing_set(
        subscription=first.subscription, recipient=Recipient.CLIENT, period_months=3
    )

    assert again.pk == first.pk
    assert (again.recipient, again.firm, again.period_months) == (Recipient.CLIENT, None, 3)


def test_the_database_keeps_the_rules_too(firm: Firm) -> None:
    subscription = factories.SubscriptionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionBilling.objects.create(
            subscription=subscription,
            recipient=Recipient.CLIENT,
            consolidated=True,
            starts_on=date(2026, 1, 1),
            renews_on=date(2027, 1, 1),
        )


def test_renewal_dates_roll_forward(firm: Firm) -> None:
    saved = _set(firm, consolidated=False, starts_on=date(2025, 1, 31), period_months=3)
    assert saved.renews_on == date(2025, 4, 30)

    assert billing.subscription_billings_renew(today=date(2025, 11, 1)) == 1

    saved.refresh_from_db()
    assert saved.renews_on == date(2026, 1, 31)
    assert billing.subscription_billings_renew(today=date(2025, 11, 1)) == 0
