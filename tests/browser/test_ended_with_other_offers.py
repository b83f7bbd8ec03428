"""Follow-ups to issue 13 in the browser: Erik, ended by Revisorerna Norr AB,
logs in to answer Siffror Syd AB's invitation ("Gå med") and then works as
B's consultant; Petra confirms a mobile number a firm typed for her under
"Mina uppgifter"."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.models import JoinOffer
from clients.offboarding.services import consultant_offboard
from firm_portal.models import User
from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)


def test_ended_by_one_firm_joins_another(journey, world: World) -> None:
    consultant_offboard(actor=world.firm_admin, consultant=world.consultant)
    b_admin = factories.ConsultantFactory(
        firm=world.other_firm_consultant.firm, is_firm_admin=True, user__full_name="Bea Badmin"
    )
    JoinOffer.objects.create(
        user=world.consultant.user,
        kind=JoinOffer.Kind.CONSULTANT,
        firm=b_admin.firm,
        invited_by=b_admin.user,
        sent_at=timezone.now(),
    )
    j = journey("13b-avslutad-gar-med-i-annan-byra")
    j.log_in(world.consultant.user.email, factories.PASSWORD)
    expect(j.page.get_by_text("Ditt konto har avslutats av Revisorerna Norr AB.")).to_be_visible()
    expect(j.page.get_by_role("heading", name="Inbjudningar")).to_be_visible()
    j.snap("offers only")
    j.goto("/klienter/")
    expect(j.page).to_have_url(j.base_url + "/")
    j.click(j.page.get_by_role("button", name="Gå med: Siffror Syd AB"))
    expect(j.page.get_by_text("Du är nu konsult på Siffror Syd AB.")).to_be_visible()
    expect(j.page.get_by_text("Ditt konto har avslutats av")).to_have_count(0)
    j.snap("joined firm B")


def test_mina_uppgifter_confirms_a_typed_mobile(journey, world: World) -> None:
    petra = User.objects.create_user(
        "petra@exempel.se", password=factories.PASSWORD, full_name="Petra P", mobile="+46701234567"
    )
    j = journey("13b-mina-uppgifter")
    j.log_in(petra.email, factories.PASSWORD)
    j.click(j.page.get_by_role("link", name="Mina uppgifter"))
    expect(j.page.get_by_text("(inte bekräftat)")).to_be_visible()
    j.snap("unconfirmed")
    j.fill(j.page.get_by_label("Mobilnummer"), "070-555 44 33")
    j.click(j.page.get_by_role("button", name="Spara och bekräfta"))
    expect(j.page.get_by_text("Ditt mobilnummer är sparat och bekräftat.")).to_be_visible()
    expect(j.page.get_by_text("(bekräftat av dig)")).to_be_visible()
    j.snap("confirmed")
