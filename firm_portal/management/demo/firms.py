"""The three firms, their consultants and the support login."""

from firm_portal.management.demo.specs import CLIENT_MANAGER_SEATS, FIRM_NAMES, FIRMS
from firm_portal.management.demo.world import World
from firm_portal.models import Consultant, Firm


def create_firms_and_consultants(world: World) -> None:
    firm_rows = [
        Firm(
            name=spec.name,
            org_number=world.new_org_number("556"),
            client_manager_seats=CLIENT_MANAGER_SEATS,
        )
        for spec in FIRMS
    ]
    Firm.objects.bulk_create(firm_rows)
    by_name = {f.name: f for f in Firm.objects.filter(name__in=FIRM_NAMES)}
    world.firms = {spec.key: by_name[spec.name] for spec in FIRMS}

    user_rows = [world.user_row(c.email, c.full_name) for spec in FIRMS for c in spec.consultants]
    user_rows.append(
        world.user_row(
            "admin@byraportalen.demo", "Support Byråportalen", is_staff=True, is_superuser=True
        )
    )
    world.save_users(user_rows)

    Consultant.objects.bulk_create(
        Consultant(
            user=world.users[c.email],
            firm=world.firms[spec.key],
            is_firm_admin=c.is_firm_admin,
            is_client_manager_admin=c.is_client_manager_admin,
            has_client_manager_seat=c.has_seat,
        )
        for spec in FIRMS
        for c in spec.consultants
    )
    for consultant in Consultant.objects.filter(firm__in=world.firms.values()).select_related(
        "user", "firm"
    ):
        world.consultants[consultant.user.email] = consultant
    for spec in FIRMS:
        world.firm_consultants[spec.key] = [world.consultants[c.email] for c in spec.consultants]
