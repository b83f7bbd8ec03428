"""The access ledger's before/after values as text a person reads: program
names, level labels, "Ja"/"Nej", kronor, dates, firm names, instead of the
codes, booleans and ids the events store. One formatter for the page and the
CSV export of every "Behörighetslogg" (collaboration.ledger.views).

A stored value of a kind this module does not know is shown as it is (never
as a Python repr); a key it does not know is shown as it is too, so nothing
recorded is hidden from the people allowed to read it."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.models import JoinOffer, Level, Plan, Program, Subscription
from collaboration.models import Coupling
from firm_portal.models import Firm
from firm_portal.templatetags.masking import mobile_masked, personnummer_masked
from licensing.models import AgreementPeriod, Recipient

# The label of each stored key, in the order a reader expects them.
LABELS: dict[str, Promise] = {
    "plan": gettext_lazy("Variant"),
    "program": gettext_lazy("Program"),
    "level": gettext_lazy("Behörighet"),
    "levels": gettext_lazy("Behörigheter"),
    "is_sysadmin": gettext_lazy("Systemadministratör"),
    "sysadmin": gettext_lazy("Systemadministratör"),
    "seats": gettext_lazy("Licenser"),
    "licenses": gettext_lazy("Licenser"),
    "has_seat": gettext_lazy("Licens för Klienthanteraren"),
    "is_firm_admin": gettext_lazy("Byråadministratör"),
    "is_client_manager_admin": gettext_lazy("Programadministratör"),
    "assigned": gettext_lazy("Tilldelad konsulten"),
    "ends_on": gettext_lazy("Slutdatum"),
    "start_date": gettext_lazy("Start"),
    "starts_on": gettext_lazy("Startdatum"),
    "coupling": gettext_lazy("Sammankoppling"),
    "status": gettext_lazy("Sammankoppling"),
    "subscription": gettext_lazy("Abonnemang"),
    "manual_coupling": gettext_lazy("Manuell koppling"),
    "form_received_on": gettext_lazy("Blanketten mottagen"),
    "computed_fee": gettext_lazy("Beräknad avgift"),
    "fee": gettext_lazy("Avgift"),
    "recipient": gettext_lazy("Fakturamottagare"),
    "firm": gettext_lazy("Byrå"),
    "consolidated": gettext_lazy("Samlingsfaktura"),
    "period_months": gettext_lazy("Avtalsperiod"),
    "effective_on": gettext_lazy("Gäller från"),
    "side": gettext_lazy("Avslutat av"),
    "freed": gettext_lazy("Frigjorda licenser"),
    "unused_before": gettext_lazy("Lediga licenser före"),
    "firm_paid": gettext_lazy("Byrån betalade"),
    "subscriptions_removed": gettext_lazy("Borttagen från antal abonnemang"),
    "invited_as": gettext_lazy("Inbjuden som"),
    "what": gettext_lazy("Försök att nå"),
    "path": gettext_lazy("Adress"),
    "consultant_id": gettext_lazy("Konsult (id)"),
    "offer_id": gettext_lazy("Inbjudan (id)"),
    "request_id": gettext_lazy("Förfrågan (id)"),
    "attempts": gettext_lazy("Antal försök"),
    "last_attempt_at": gettext_lazy("Senaste försöket"),
    "mobile": gettext_lazy("Mobilnummer"),
    "mobilnummer": gettext_lazy("Mobilnummer"),
    "personal_number": gettext_lazy("Personnummer"),
    "personnummer": gettext_lazy("Personnummer"),
}

_YES_NO_KEYS = {
    "is_sysadmin",
    "sysadmin",
    "has_seat",
    "is_firm_admin",
    "is_client_manager_admin",
    "assigned",
    "consolidated",
    "firm_paid",
}
_DATE_KEYS = {"ends_on", "start_date", "starts_on", "form_received_on", "effective_on"}
_MONEY_KEYS = {"fee", "computed_fee"}
_PROGRAM_COUNT_KEYS = {"licenses", "freed", "unused_before"}
_PROGRAM_KEYS = {"program", "levels", *_PROGRAM_COUNT_KEYS}

# What a denied attempt tried to reach (clients.selectors.record_denied's `what`).
_ATTEMPTS: dict[str, Promise] = {
    "subscription_admin": gettext_lazy("Administrera abonnemang"),
    "invite_username": gettext_lazy("Bjud in klientanvändare"),
    "consultant": gettext_lazy("En annan byrås konsult"),
    "join_offer": gettext_lazy("En inbjudan"),
    "collaboration_request": gettext_lazy("En förfrågan om samarbete"),
    "client": gettext_lazy("En klient"),
    "new_customer": gettext_lazy("Skapa nytt samarbete"),
    "collaboration": gettext_lazy("Ett samarbete"),
    "page": gettext_lazy("En byråsida"),
}
_SIDES: dict[str, Promise] = {"firm": gettext_lazy("Byrån"), "client": gettext_lazy("Kunden")}


@dataclass
class LedgerNames:
    """The names the values refer to by code or id, fetched once for a page
    or an export (nothing when no event on it names a program or a firm)."""

    programs: dict[str, str] = field(default_factory=dict)
    firms: dict[int, str] = field(default_factory=dict)


def ledger_names(values: Iterable[Mapping[str, object] | None]) -> LedgerNames:
    """At most two queries, whatever the number of events."""
    wants_programs = False
    firm_ids: set[int] = set()
    for mapping in values:
        if not mapping:
            continue
        if not wants_programs and _PROGRAM_KEYS.intersection(mapping):
            wants_programs = True
        firm = mapping.get("firm")
        if isinstance(firm, int) and not isinstance(firm, bool):
            firm_ids.add(firm)
    names = LedgerNames()
    if wants_programs:
        names.programs = dict(
            Program.objects.order_by("sort_order", "name").values_list("code", "name")
        )
    if firm_ids:
        names.firms = dict(Firm.objects.filter(pk__in=firm_ids).values_list("pk", "name"))
    return names


def ledger_values_text(
    values: Mapping[str, object] | None, names: LedgerNames
) -> list[tuple[str, str]]:
    """(label, text) per stored value, in the order of LABELS (a JSON
    column keeps no order), unknown keys last; personal numbers and mobile
    numbers masked."""
    if not values:
        return []
    return [
        (str(LABELS.get(key, key)), _text(key, value, names))
        for key, value in sorted(values.items(), key=_position)
    ]


_ORDER = {key: index for index, key in enumerate(LABELS)}


def _position(item: tuple[str, object]) -> tuple[int, str]:
    return (_ORDER.get(item[0], len(_ORDER)), item[0])


def ledger_values_line(values: Mapping[str, object] | None, names: LedgerNames) -> str:
    """The same pairs on one line, for the CSV export."""
    return "; ".join(f"{label}: {text}" for label, text in ledger_values_text(values, names))


def _text(key: str, value: object, names: LedgerNames) -> str:
    if key in ("mobile", "mobilnummer"):
        return str(mobile_masked(value)) if value else _none(key)
    if key in ("personal_number", "personnummer"):
        return str(personnummer_masked(value)) if value else _none(key)
    if value is None or value == "":
        return _none(key)
    if key in _YES_NO_KEYS or isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if key == "program":
        return names.programs.get(str(value), str(value))
    if key == "level":
        return _choice(Level, value)
    if key == "levels" and isinstance(value, Mapping):
        if not value:
            return _("Inga")
        return ", ".join(
            f"{names.programs.get(str(code), str(code))}: {_choice(Level, level)}"
            for code, level in _by_program(value, names)
        )
    if key in _PROGRAM_COUNT_KEYS and isinstance(value, Mapping):
        if not value:
            return _("Inga")
        return ", ".join(
            f"{names.programs.get(str(code), str(code))}: {_plain(count)}"
            for code, count in _by_program(value, names)
        )
    if key in _DATE_KEYS:
        return _date(value)
    if key in _MONEY_KEYS:
        return _money(value)
    if key in ("coupling", "status"):
        return _choice(Coupling.Status, value)
    if key == "subscription":
        return _choice(Subscription.Status, value)
    if key == "plan":
        return _choice(Plan, value)
    if key == "recipient":
        return _choice(Recipient, value)
    if key == "period_months":
        return _choice(AgreementPeriod, value)
    if key == "side":
        return str(_SIDES.get(str(value), value))
    if key == "firm":
        if isinstance(value, int):
            return names.firms.get(value, _("Byrå %(id)s") % {"id": value})
        return str(value)
    if key == "invited_as":
        return _choice(JoinOffer.Kind, value)
    if key == "what":
        return str(_ATTEMPTS.get(str(value), value))
    if key == "manual_coupling":
        return _("nr %(id)s") % {"id": value}
    return _plain(value)


def _by_program(value: Mapping[str, object], names: LedgerNames) -> list[tuple[str, object]]:
    """Per-program values in the catalogue's order (names.programs is)."""
    order = {code: index for index, code in enumerate(names.programs)}
    return sorted(value.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def _none(key: str) -> str:
    if key == "level":
        return _("Ingen behörighet")
    if key == "start_date":
        return _("Direkt vid godkännande")
    if key == "ends_on":
        return _("Inget slutdatum")
    if key == "firm":
        return _("Ingen byrå")
    return "–"


def _choice(choices: type, value: object) -> str:
    labels = dict(choices.choices)  # type: ignore[attr-defined]
    return str(labels.get(value, value))


def _date(value: object) -> str:
    """Stored as ISO dates: shown as such (the Swedish way of writing them)."""
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        return str(value)


def _money(value: object) -> str:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return _("%(amount)s kr") % {"amount": localize(amount.quantize(Decimal("0.01")))}


def _plain(value: object) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{key}: {_plain(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(item) for item in value)
    return str(localize(value))
