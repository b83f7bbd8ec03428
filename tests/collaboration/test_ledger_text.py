"""Issue 14 item 7: every before/after value of the "Behörighetslogg" reads
as text, on the page and in the CSV export (collaboration.ledger.text), for
every kind of event, with values as the services record them."""

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from firm_portal.timeutils import today_in_stockholm
from ledger.models import AccessEvent, DeniedAttempt
from ledger.services import ledger_record

pytestmark = pytest.mark.django_db

Kind = AccessEvent.Kind


def realistic_values(world) -> dict[str, tuple[dict | None, dict | None]]:  # type: ignore[no-untyped-def]
    """(before, after) per kind, shaped as the services record them."""
    today = today_in_stockholm()
    other_firm = world.other_firm_consultant.firm_id
    return {
        Kind.REQUEST_SENT: (None, {"start_date": None}),
        Kind.REQUEST_APPROVED: (
            None,
            {"coupling": "scheduled", "starts_on": (today + timedelta(days=5)).isoformat()},
        ),
        Kind.REQUEST_REJECTED: (None, None),
        Kind.REQUEST_WITHDRAWN: (None, None),
        Kind.REQUEST_EXPIRED: (None, None),
        Kind.COUPLING_ACTIVATED: (None, {"starts_on": today.isoformat()}),
        Kind.COUPLING_ENDED: (
            {"status": "active"},
            {
                "side": "client",
                "freed": {"bokforing": 2, "kvitto-resa": 1},
                "unused_before": {"bokforing": 0},
                "firm_paid": False,
            },
        ),
        Kind.MANUAL_COUPLING: (
            {"computed_fee": "600.00"},
            {
                "manual_coupling": 12,
                "coupling": "active",
                "starts_on": today.isoformat(),
                "form_received_on": today.isoformat(),
                "fee": "0.00",
            },
        ),
        Kind.MEMBER_ADDED: (None, {"sysadmin": True, "levels": {"bokforing": "admin"}}),
        Kind.MEMBER_REMOVED: (
            {"is_sysadmin": False, "levels": {"bokforing": "approver", "lon": "read"}},
            None,
        ),
        Kind.MEMBER_SUSPENDED: (None, None),
        Kind.MEMBER_RESUMED: (None, None),
        Kind.MEMBER_END_DATE: ({"ends_on": None}, {"ends_on": "2027-03-31"}),
        Kind.LEVEL_CHANGED: (
            {"program": "lon", "level": None},
            {"program": "lon", "level": "read"},
        ),
        Kind.SYSADMIN_CHANGED: ({"is_sysadmin": False}, {"is_sysadmin": True}),
        Kind.LICENSES_CHANGED: (
            {"program": "bokforing", "seats": 1},
            {"program": "bokforing", "seats": 2},
        ),
        Kind.SEATS_CHANGED: ({"seats": 3}, {"seats": 4}),
        Kind.SEAT_ASSIGNED: ({"has_seat": False}, {"has_seat": True}),
        Kind.ROLE_CHANGED: (
            {"is_firm_admin": False, "is_client_manager_admin": True},
            {"is_firm_admin": True, "is_client_manager_admin": False},
        ),
        Kind.ASSIGNMENT_CHANGED: ({"assigned": False}, {"assigned": True}),
        Kind.CONSULTANT_ENDED: (None, {"subscriptions_removed": 3}),
        Kind.ACCESS_DENIED: (None, {"what": "subscription_admin", "consultant_id": 7}),
        Kind.COLLABORATION_CREATED: (
            None,
            {
                "plan": "smart",
                "licenses": {"bokforing": 2, "kvitto-resa": 1},
                "recipient": "firm",
                "consolidated": True,
                "period_months": 12,
            },
        ),
        Kind.COLLABORATION_ACCEPTED: (None, {"coupling": "active", "starts_on": today.isoformat()}),
        Kind.COLLABORATION_CANCELLED: (
            {"coupling": "awaiting_customer"},
            {"coupling": "ended", "subscription": "ended"},
        ),
        Kind.PLAN_CHANGED: ({"plan": "start"}, {"plan": "pro"}),
        Kind.INVITATION_WITHDRAWN: ({"invited_as": "client_user"}, None),
        Kind.RECIPIENT_CHANGED: (
            {"recipient": "client", "firm": None, "consolidated": False},
            {
                "recipient": "firm",
                "firm": other_firm,
                "consolidated": True,
                "effective_on": "2027-01-01",
            },
        ),
    }


@pytest.fixture
def every_kind(world):  # type: ignore[no-untyped-def]
    values = realistic_values(world)
    assert set(values) == set(Kind.values), "a new kind needs realistic values here"
    for kind, (before, after) in values.items():
        event = ledger_record(
            kind=kind,
            actor=world.firm_admin.user,
            firm=world.firm,
            subscription=world.subscription,
            subject=world.consultant.user,
            before=before,
            after=after,
        )
        if kind == Kind.ACCESS_DENIED:
            DeniedAttempt.objects.create(
                actor_id=world.firm_admin.user_id,
                subscription_id=world.subscription.pk,
                window_start=timezone.now(),
                last_at=timezone.now(),
                attempts=4,
                last_attempt={},
                event=event,
            )
    return values


RAW = re.compile(r"None|True|False|[{}\[\]]|'[^\s']*'|=|\b[a-z]+_[a-z_]+\b")


def _cells(page: str) -> list[str]:
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)
    ]


@pytest.mark.parametrize("language", ["sv", "en"])
def test_no_raw_values_on_page_or_in_csv(client, world, every_kind, language, settings):
    client.force_login(world.firm_admin.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    url = reverse("collaboration:firm_ledger")
    page = client.get(url).text
    assert f"{len(every_kind)} " in page
    cells = _cells(page)
    assert len(cells) == 7 * len(every_kind)
    for cell in cells:
        assert not RAW.search(cell), cell
    export = _csv_rows(client.get(url, {"format": "csv"}))
    assert len(export) == 1 + len(every_kind)
    for line in export[1:]:
        before, after = line[7:9]
        for value in (before, after):
            assert not RAW.search(value), value


def _csv_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def _row(page: str, kind_label: str) -> list[str]:
    cells = _cells(page)
    for start in range(0, len(cells), 7):
        if cells[start + 1] == kind_label:
            return cells[start : start + 7]
    raise AssertionError(kind_label)


def test_exact_swedish_text(client, world, every_kind):
    client.force_login(world.firm_admin.user)
    page = client.get(reverse("collaboration:firm_ledger")).text
    assert _row(page, "Behörighet ändrad")[5:] == [
        "Program: Lön Behörighet: Ingen behörighet",
        "Program: Lön Behörighet: Läs",
    ]
    assert _row(page, "Licens för Klienthanteraren tilldelad")[5:] == [
        "Licens för Klienthanteraren: Nej",
        "Licens för Klienthanteraren: Ja",
    ]
    assert _row(page, "Samarbete skapat")[6] == (
        "Variant: Smart Licenser: Bokföring: 2, Kvitto & Resa: 1 Fakturamottagare: Byrån "
        "Samlingsfaktura: Ja Avtalsperiod: 12 månader"
    )
    today = today_in_stockholm().isoformat()
    assert _row(page, "Manuell koppling genomförd")[5:] == [
        "Beräknad avgift: 600,00 kr",
        f"Startdatum: {today} Sammankoppling: Aktiv Manuell koppling: nr 12 "
        f"Blanketten mottagen: {today} Avgift: 0,00 kr",
    ]
    assert _row(page, "Fakturamottagare ändrad")[5:] == [
        "Fakturamottagare: Kunden Byrå: Ingen byrå Samlingsfaktura: Nej",
        "Fakturamottagare: Byrån Byrå: Siffror Syd AB Samlingsfaktura: Ja Gäller från: 2027-01-01",
    ]
    assert _row(page, "Förfrågan skickad")[6] == "Start: Direkt vid godkännande"
    assert _row(page, "Inbjudan återkallad")[5] == "Inbjuden som: Klientanvändare"
    assert _row(page, "Nekad åtkomst")[6].startswith(
        "Försök att nå: Administrera abonnemang Konsult (id): 7 Antal försök: 4 Senaste försöket: "
    )


def test_exact_csv_text(client, world, every_kind):
    client.force_login(world.firm_admin.user)
    url = reverse("collaboration:firm_ledger")
    export = _csv_rows(client.get(url, {"format": "csv", "typ": Kind.ROLE_CHANGED}))
    assert export[1][7:9] == [
        "Byråadministratör: Nej; Programadministratör: Ja",
        "Byråadministratör: Ja; Programadministratör: Nej",
    ]
    export = _csv_rows(client.get(url, {"format": "csv", "typ": Kind.MEMBER_REMOVED}))
    assert export[1][7] == (
        "Behörigheter: Bokföring: Attestansvarig, Lön: Läs; Systemadministratör: Nej"
    )


def test_english(client, world, every_kind, settings):
    client.force_login(world.firm_admin.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("collaboration:firm_ledger")).text
    assert "Client Manager licence: No" in page
    assert "Client Manager licence: Yes" in page


def test_timestamp_does_not_wrap(client, world, every_kind):
    client.force_login(world.firm_admin.user)
    page = client.get(reverse("collaboration:firm_ledger")).text
    assert page.count('<td class="timestamp">') == len(every_kind)
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static/css/app.css").read_text()
    assert "td.timestamp { white-space: nowrap; }" in css


@pytest.mark.parametrize("size", [3, 60])
def test_names_cost_two_queries_whatever_the_page(client, world, django_assert_num_queries, size):
    values = realistic_values(world)
    for _ in range(size):
        for kind in (Kind.LEVEL_CHANGED, Kind.RECIPIENT_CHANGED):
            before, after = values[kind]
            ledger_record(
                kind=kind, actor=world.firm_admin.user, firm=world.firm, before=before, after=after
            )
    client.force_login(world.firm_admin.user)
    # The five of the page (tests/collaboration/test_ledger.py) + program
    # names + firm names.
    with django_assert_num_queries(7):
        client.get(reverse("collaboration:firm_ledger"))


def test_someone_without_a_firm_on_a_firm_page_reads_as_text(client, world):
    """clients.middleware records the address tried, not a view name."""
    client.force_login(world.other_sysadmin)
    url = reverse("collaboration:client_detail", args=[world.subscription.number])
    assert client.get(url).status_code == 404
    event = AccessEvent.objects.get(kind=Kind.ACCESS_DENIED)
    assert event.after == {"what": "page", "path": url}
    client.force_login(world.sysadmin)
    page = client.get(
        reverse("collaboration:subscription_ledger", args=[world.subscription.number])
    ).text
    assert f"Försök att nå: En byråsida<br>Adress: {url}<br>" in page
