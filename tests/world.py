"""The two tenants the `world` fixture (tests/conftest.py) builds."""

from dataclasses import dataclass

from clients.models import Membership, Subscription
from firm_portal.models import Consultant, User


@dataclass
class World:
    """Two tenants. Firm A is coupled to subscription S (client sysadmin
    `sysadmin`, client user `client_user`); firm B is not. Subscription T
    belongs to another client with its own sysadmin `other_sysadmin`."""

    firm_admin: Consultant
    consultant: Consultant
    no_seat_consultant: Consultant
    other_firm_consultant: Consultant
    subscription: Subscription
    sysadmin: User
    sysadmin_membership: Membership
    client_user: User
    other_subscription: Subscription
    other_sysadmin: User

    @property
    def firm(self):  # type: ignore[no-untyped-def]
        return self.firm_admin.firm
