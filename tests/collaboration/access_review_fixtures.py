"""A firm with a review's worth of access: Norr (firm admin Anna, consultants
Erik and Maja) coupled to two clients. At Bageriet the firm is sysadmin
(Maja); at Fjällstugan the client's own Lisa is, and the firm is not."""

from dataclasses import dataclass

from clients.catalogue import programs_ensure
from clients.models import Membership, Subscription
from firm_portal.models import Consultant, User
from tests import factories


@dataclass
class ReviewWorld:
    admin: Consultant
    erik: Consultant
    maja: Consultant
    own: Subscription  # the firm is sysadmin here
    other: Subscription  # the client's own sysadmin, not the firm
    lisa: User
    erik_own: Membership
    erik_other: Membership
    maja_own: Membership

    @property
    def firm(self):  # type: ignore[no-untyped-def]
        return self.admin.firm


def review_world() -> ReviewWorld:
    programs_ensure()
    firm = factories.FirmFactory(name="Redovisningsbyrån Norr AB")
    admin = factories.ConsultantFactory(firm=firm, is_firm_admin=True, user__full_name="Anna Admin")
    erik = factories.ConsultantFactory(firm=firm, user__full_name="Erik Konsult")
    maja = factories.ConsultantFactory(firm=firm, user__full_name="Maja Sysadmin")
    own = factories.CouplingFactory(
        firm=firm, subscription__client__name="Bageriet AB"
    ).subscription
    other = factories.CouplingFactory(
        firm=firm, subscription__client__name="Fjällstugan AB"
    ).subscription
    factories.LicenseFactory(subscription=own, seats=5)
    factories.LicenseFactory(subscription=other, seats=5)
    maja_own = Membership.objects.create(
        subscription=own, user=maja.user, consultant=maja, is_sysadmin=True
    )
    erik_own = Membership.objects.create(subscription=own, user=erik.user, consultant=erik)
    factories.give_level(erik_own, "bokforing", "approver")
    erik_other = Membership.objects.create(subscription=other, user=erik.user, consultant=erik)
    factories.give_level(erik_other, "bokforing", "read")
    lisa = factories.MembershipFactory(
        subscription=other, is_sysadmin=True, user__full_name="Lisa Kund"
    ).user
    return ReviewWorld(
        admin=admin,
        erik=erik,
        maja=maja,
        own=own,
        other=other,
        lisa=lisa,
        erik_own=erik_own,
        erik_other=erik_other,
        maja_own=maja_own,
    )
