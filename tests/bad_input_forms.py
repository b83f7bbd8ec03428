"""The bad-input cases of every form endpoint (tests/test_bad_input.py; fuzzed
by tests/test_fuzz_forms.py): FORMS, the routes taking a POST without typed
input (NO_TYPED_INPUT), tenant A's objects the forms point at, and how a
case is posted."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.test import Client
from django.urls import URLPattern, reverse

from clients.models import Membership
from collaboration.access_review.models import AccessReviewRow
from collaboration.access_review.services import review_start, subscription_review_start
from firm_portal.timeutils import today_in_stockholm
from licensing.pricing import Month
from tests import factories
from tests.clients.bulk_invitation_helpers import make_invitable, row
from tests.collaboration.agreement_helpers import agreement_document, ask, pdf_file
from tests.conftest import World
from tests.two_factor_helpers import app_device

CONTROL = "Anna\x00\x07\u202e\u200b Ek"
HTML = '<script>alert("x")</script><img src=x onerror=alert(1)>'
OVERLONG = "Å" * 5000
HUGE = "9" * 40
FAR_PAST = "0001-01-01"
FAR_FUTURE = "9999-12-31"
BAD_ORG_NUMBER = "556036-0794"  # check digit wrong
BAD_PERSONAL_NUMBER = "19850101-1235"  # check digit wrong
# "²".isdigit() is true and int("²") fails; "١٢٣".isdecimal() is true.
SUPERSCRIPT_DIGITS = "²³¹"
UNICODE_DIGITS = "١٢٣\uff14\uff15"  # Arabic-Indic and full-width
NUL = "Bo\x00Ek"
DIGITS_5000 = "9" * 5000  # int() refuses more than 4,300 digits
DATE_RANGE = "Ange ett datum mellan 1900-01-01 och 2999-12-31."
SEARCH_REFUSED = "Sökningen innehåller otillåtna tecken."

Payload = dict[str, Any]
Builder = Callable[[World, dict[str, Any]], Payload]


@dataclass
class Form:
    """A form endpoint: who posts it, a valid payload, and bad cases (field
    overrides and the Swedish message expected)."""

    actor: str  # a World attribute (a Consultant's user is used)
    valid: Builder
    cases: dict[str, tuple[Payload | Builder, str]]
    kwargs: Builder = field(default=lambda w, o: {})
    # Prepares the session (e.g. the password step before the code step).
    prepare: Callable[[Client, World, dict[str, Any]], None] | None = None
    login: bool = True


def _invite_rows(w: World, o: dict[str, Any], rows: list[tuple[str, str, str]]) -> Payload:
    data: Payload = {}
    for subscription, (name, email, mobile) in zip(o["invitable"], rows, strict=False):
        data.update(row(subscription, name, email, mobile=mobile))
    return data


def _row(name: str = "Bo Ek", email: str = "bo@beta.se", mobile: str = "") -> Builder:
    return lambda w, o: _invite_rows(w, o, [(name, email, mobile)])


def _password_step(client: Client, w: World, o: dict[str, Any]) -> None:
    client.logout()
    client.post(
        reverse("login"), {"username": w.firm_admin.user.email, "password": factories.PASSWORD}
    )


def _password_step_without_app(client: Client, w: World, o: dict[str, Any]) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=w.firm_admin.user).delete()
    _password_step(client, w, o)
    client.get(reverse("two_factor_setup"))  # makes the pending device


CODE_CASES: dict[str, tuple[Payload | Builder, str]] = {
    "empty": ({"code": ""}, "Ange koden."),
    "control characters": ({"code": "12\x0034\u202e56"}, "Null-tecken är inte tillåtna."),
    "html": ({"code": HTML}, "som mest 40 tecken"),
    "overlong": ({"code": OVERLONG}, "som mest 40 tecken"),
    "negative": ({"code": "-123456"}, "Koden stämmer inte"),
}

FORMS: dict[str, Form] = {
    "login": Form(
        actor="anonymous",
        login=False,
        valid=lambda w, o: {"username": w.sysadmin.email, "password": "fel-lösenord"},
        cases={
            "control characters": ({"username": CONTROL}, "Null-tecken är inte tillåtna."),
            "html": ({"username": HTML}, "Fel e-post eller lösenord"),
            "overlong": ({"username": OVERLONG}, "som mest 254 tecken"),
            "empty": ({"username": "", "password": ""}, "Detta fält måste fyllas i."),
        },
    ),
    "password_reset": Form(
        actor="anonymous",
        login=False,
        valid=lambda w, o: {"email": w.sysadmin.email},
        cases={
            "html": ({"email": HTML}, "Fyll i en giltig e-postadress."),
            "control characters": ({"email": "a\x00@b.se"}, "Null-tecken är inte tillåtna."),
            "overlong": ({"email": OVERLONG + "@x.se"}, "som mest 254 tecken"),
        },
    ),
    "password_change": Form(
        actor="sysadmin",
        valid=lambda w, o: {
            "old_password": factories.PASSWORD,
            "new_password1": "Ett-nytt-långt-lösen-7",
            "new_password2": "Ett-nytt-långt-lösen-7",
        },
        cases={
            "wrong old password": ({"old_password": HTML}, "Ditt gamla lösenord var felaktigt"),
            "mismatch": (
                {"new_password2": "Ett-annat-lösen-8"},
                "De två lösenordsfälten stämmer inte överens.",
            ),
            "numeric": (
                {"new_password1": HUGE, "new_password2": HUGE},
                "Detta lösenord är enbart numeriskt.",
            ),
            "control characters": (
                {"new_password1": "\x00" * 12, "new_password2": "\x00" * 12},
                "Null-tecken är inte tillåtna.",
            ),
        },
    ),
    "my_details": Form(
        actor="client_user",
        valid=lambda w, o: {"mobile": "070-123 45 67"},
        cases={
            "html": ({"mobile": HTML}, "som mest 30 tecken"),
            "control characters": ({"mobile": CONTROL}, "Null-tecken är inte tillåtna."),
            "overlong": ({"mobile": OVERLONG}, "som mest 30 tecken"),
            "foreign": ({"mobile": "+447400123456"}, "Vi skickar bara sms till mobilnummer i"),
        },
    ),
    "firm_add_consultant": Form(
        actor="firm_admin",
        valid=lambda w, o: {"full_name": "Ny Konsult", "email": "ny@norr.se", "mobile": ""},
        cases={
            "control characters": ({"full_name": CONTROL}, "Null-tecken är inte tillåtna."),
            "bidi and bell characters": (
                {"full_name": "Anna\u202e\u0007 Ek"},
                "Namnet innehåller otillåtna tecken.",
            ),
            "html email": ({"email": HTML}, "Fyll i en giltig e-postadress."),
            "overlong name": ({"full_name": OVERLONG}, "som mest 200 tecken"),
            "bad mobile": ({"mobile": "070-12"}, "är inte ett giltigt mobilnummer"),
            "landline": ({"mobile": "08-123 456 78"}, "är inte ett mobilnummer"),
            "huge mobile": ({"mobile": HUGE[:30]}, "är inte ett giltigt mobilnummer"),
            # An address of the firm's own consultant (its own data); any
            # other address answers alike whether or not an account exists.
            "own consultant's email": (
                lambda w, o: {"email": w.consultant.user.email},
                "är redan konsult på byrån.",
            ),
        },
    ),
    "firm_seats": Form(
        actor="firm_admin",
        valid=lambda w, o: {"count": "1", "action": "add"},
        cases={
            "negative": ({"count": "-5"}, "större än eller lika med 1"),
            "huge": ({"count": HUGE}, "mindre än eller lika med 500"),
            "text": ({"count": HTML}, "Fyll i ett heltal."),
            "superscript digits": ({"count": SUPERSCRIPT_DIGITS}, "Fyll i ett heltal."),
            "other Unicode digits": ({"count": UNICODE_DIGITS}, "Fyll i ett heltal."),
            "5,000 digits": ({"count": DIGITS_5000}, "Fyll i ett heltal."),
            "remove more than unused": (
                {"count": "500", "action": "remove"},
                "licenser är lediga. Ta först bort licensen",
            ),
        },
    ),
    "collaboration:new_client": Form(
        actor="consultant",
        valid=lambda w, o: {"org_number": w.subscription.client.org_number},
        cases={
            "wrong check digit": ({"org_number": BAD_ORG_NUMBER}, "är inte giltigt"),
            "too short": ({"org_number": "55603"}, "ska ha 10 siffror"),
            "control characters": ({"org_number": "556036\x00-0793"}, "Null-tecken"),
            "html": ({"org_number": HTML}, "som mest 20 tecken"),
            "overlong": ({"org_number": OVERLONG}, "som mest 20 tecken"),
            "negative number": (
                {"subscription_number": "-1"},
                "större än eller lika med 1",
            ),
            "huge number": ({"subscription_number": HUGE}, "mindre än eller lika med"),
            "superscript number": (
                {"subscription_number": SUPERSCRIPT_DIGITS},
                "Fyll i ett heltal.",
            ),
            "5,000-digit number": ({"subscription_number": DIGITS_5000}, "Fyll i ett heltal."),
        },
    ),
    # Flow 7, "Byte av byrå": a subscription another firm is coupled to.
    "collaboration:firm_change_new": Form(
        actor="consultant",
        valid=lambda w, o: {
            "org_number": o["taken"].client.org_number,
            "subscription_number": o["taken"].number,
            "responsible_consultant": w.consultant.pk,
            "start": "month",
            "starts_on": Month.of(today_in_stockholm()).next_first.isoformat(),
        },
        cases={
            "not the first of a month": (
                lambda w, o: {
                    "starts_on": Month.of(today_in_stockholm()).next_first.replace(day=15)
                },
                "Bytet sker den första dagen i en månad.",
            ),
            "date far in the past": (
                {"starts_on": FAR_PAST},
                "Välj den första dagen i en kommande månad.",
            ),
            "date far in the future": (
                {"starts_on": "9999-12-01"},
                "Datumet kan ligga högst två år fram i tiden.",
            ),
            "not a date": ({"starts_on": HTML}, "Fyll i ett giltigt datum."),
            "NUL in the date": ({"starts_on": NUL}, "Fyll i ett giltigt datum."),
            "other firm's consultant": (
                lambda w, o: {"responsible_consultant": w.other_firm_consultant.pk},
                "Välj en ansvarig konsult från din byrå.",
            ),
            "huge consultant id": (
                {"responsible_consultant": HUGE},
                "Välj en ansvarig konsult från din byrå.",
            ),
            "unknown start": ({"start": HTML}, "Välj ett giltigt alternativ."),
        },
    ),
    "collaboration:send_request": Form(
        actor="consultant",
        valid=lambda w, o: {
            "org_number": o["lonely"].client.org_number,
            "subscription_number": o["lonely"].number,
            "kind": "existing",
            "responsible_consultant": w.consultant.pk,
            "start": "date",
            "start_date": (today_in_stockholm() + timedelta(days=30)).isoformat(),
        },
        cases={
            "date far in the past": (
                {"start_date": FAR_PAST},
                "Startdatumet kan inte ligga i det förflutna.",
            ),
            "date far in the future": (
                {"start_date": FAR_FUTURE},
                "Startdatumet kan ligga högst två år fram i tiden.",
            ),
            "not a date": ({"start_date": HTML}, "Fyll i ett giltigt datum."),
            "other firm's consultant": (
                lambda w, o: {"responsible_consultant": w.other_firm_consultant.pk},
                "Välj en ansvarig konsult från din byrå.",
            ),
            "huge consultant id": (
                {"responsible_consultant": HUGE},
                "Välj en ansvarig konsult från din byrå.",
            ),
            "superscript consultant id": (
                {"responsible_consultant": SUPERSCRIPT_DIGITS},
                "Välj en ansvarig konsult från din byrå.",
            ),
            "5,000-digit consultant id": (
                {"responsible_consultant": DIGITS_5000},
                "Välj en ansvarig konsult från din byrå.",
            ),
            "NUL in the consultant search": (
                {"consultant_query": NUL, "action": "search"},
                SEARCH_REFUSED,
            ),
            "superscript digits in the consultant search": (
                {"consultant_query": SUPERSCRIPT_DIGITS, "action": "search"},
                "Ingen konsult på byrån matchar sökningen.",
            ),
            "wrong check digit": (
                {"org_number": BAD_ORG_NUMBER},
                "Börja om med organisationsnumret.",
            ),
        },
    ),
    "clients:set_end_date": Form(
        actor="sysadmin",
        kwargs=lambda w, o: {
            "number": w.subscription.number,
            "membership_id": o["consultant_membership"].pk,
        },
        valid=lambda w, o: {"ends_on": "2099-12-31"},
        cases={
            "yesterday": (
                lambda w, o: {"ends_on": (today_in_stockholm() - timedelta(days=1)).isoformat()},
                "Datumet kan inte ligga i det förflutna.",
            ),
            "far in the past": ({"ends_on": FAR_PAST}, DATE_RANGE),
            "year 9999": ({"ends_on": FAR_FUTURE}, DATE_RANGE),
            "far in the future": ({"ends_on": "99999-01-01"}, "Fyll i ett giltigt datum."),
            "html": ({"ends_on": HTML}, "Fyll i ett giltigt datum."),
            "control characters": ({"ends_on": "2099-\x0012-31"}, "Fyll i ett giltigt datum."),
        },
    ),
    "clients:invite_new": Form(
        actor="firm_admin",
        valid=_row(),
        cases={
            "duplicate rows": (
                lambda w, o: _invite_rows(
                    w, o, [("Bo Ek", "bo@beta.se", ""), ("Bo Ek", "bo@beta.se", "")]
                ),
                "Samma e-post finns på en annan rad.",
            ),
            "control characters": (_row(name=CONTROL), "Null-tecken är inte tillåtna."),
            "html email": (_row(email=HTML), "Fyll i en giltig e-postadress."),
            "overlong name": (_row(name=OVERLONG), "som mest 200 tecken"),
            "bad mobile": (_row(mobile="+46 70"), "är inte ett giltigt mobilnummer"),
            "huge mobile": (_row(mobile=HUGE), "som mest 30 tecken"),
            "one bad row keeps the good one out": (
                lambda w, o: _invite_rows(
                    w, o, [("Bo Ek", "bo@beta.se", ""), ("Cia Ek", "inte-en-adress", "")]
                ),
                "Fyll i en giltig e-postadress.",
            ),
            "name with control characters but no null": (
                _row(name="Anna\u202e\u0007 Ek"),
                "Namnet innehåller otillåtna tecken.",
            ),
            "superscript digits in a row's key": (
                lambda w, o: {
                    **_invite_rows(w, o, [("", "", "")]),
                    "r²-full_name": "Bo Ek",
                    "r²-email": "bo@beta.se",
                },
                "Fyll i namn och e-post på minst en rad.",
            ),
        },
    ),
    # The program admin's panel: checkboxes of ids, and the search the
    # "Markera alla" button applies.
    "firm_assignments": Form(
        actor="firm_admin",
        kwargs=lambda w, o: {"consultant_id": w.consultant.pk},
        valid=lambda w, o: {
            "q": "",
            "action": "save",
            "shown": str(o["invitable"][0].pk),
            "subscriptions": str(o["invitable"][0].pk),
        },
        cases={
            "superscript ids": (
                {"shown": SUPERSCRIPT_DIGITS, "subscriptions": SUPERSCRIPT_DIGITS},
                "Sparat: 0 tillagda, 0 borttagna.",
            ),
            "5,000-digit ids": (
                {"shown": DIGITS_5000, "subscriptions": DIGITS_5000},
                "Sparat: 0 tillagda, 0 borttagna.",
            ),
            "NUL in the search of Markera alla": (
                {"q": NUL, "action": "select_all"},
                SEARCH_REFUSED,
            ),
            "overlong search": ({"q": OVERLONG, "action": "select_all"}, "som mest 100 tecken"),
        },
    ),
    "collaboration:client_add_consultant": Form(
        actor="firm_admin",
        kwargs=lambda w, o: {"number": o["invitable"][0].number},
        valid=lambda w, o: {"consultant": str(w.no_seat_consultant.pk)},
        cases={
            "superscript id": ({"consultant": SUPERSCRIPT_DIGITS}, "Välj en konsult."),
            "other Unicode digits": ({"consultant": UNICODE_DIGITS}, "Välj en konsult."),
            "5,000-digit id": ({"consultant": DIGITS_5000}, "Välj en konsult."),
            "NUL": ({"consultant": "1\x00"}, "Välj en konsult."),
            "negative": ({"consultant": "-1"}, "Välj en konsult."),
        },
    ),
    "clients:invite_existing": Form(
        actor="consultant",
        # Ids of pending join offers; none of these is one.
        valid=lambda w, o: {"offers": "1"},
        cases={
            "superscript id": ({"offers": SUPERSCRIPT_DIGITS}, "Markera minst en användare."),
            "5,000-digit id": ({"offers": DIGITS_5000}, "Markera minst en användare."),
            "NUL": ({"offers": NUL}, "Markera minst en användare."),
        },
    ),
    # Flow 5 (helper A's wizard): its first step; the later steps are
    # reached through the session and carry the org.nr/personnummer checks.
    "collaboration:new_customer": Form(
        actor="consultant",
        valid=lambda w, o: {"step": "plan", "action": "next", "plan": "start"},
        cases={
            "html plan": ({"plan": HTML}, "Välj en av varianterna i listan."),
            "control characters": ({"plan": "\x00"}, "Välj en av varianterna i listan."),
            "overlong": ({"plan": OVERLONG}, "Välj en av varianterna i listan."),
            # "Kunden" asks for the organisationsnummer alone first (issue 14).
            "org.nr first: wrong check digit": (
                {"step": "customer", "phase": "org", "org_number": BAD_ORG_NUMBER},
                "är inte giltigt",
            ),
            "org.nr first: superscript digits": (
                {"step": "customer", "phase": "org", "org_number": SUPERSCRIPT_DIGITS},
                "ska ha 10 siffror",
            ),
            "org.nr first: NUL": (
                {"step": "customer", "phase": "org", "org_number": "556036\x00-0793"},
                "Null-tecken",
            ),
            "org.nr first: html": (
                {"step": "customer", "phase": "org", "org_number": HTML},
                "som mest 20 tecken",
            ),
            # Samlingsfaktura with the customer as payer (issue 14).
            "samlingsfaktura to the customer": (
                {
                    "step": "payment",
                    "recipient": "client",
                    "invoice": "consolidated",
                    "period_months": "12",
                },
                "Samlingsfaktura går bara till byrån. Välj byrån som fakturamottagare.",
            ),
        },
    ),
    # "Samarbeten" (helper B): the subscription side's change forms.
    "collaboration:subscription_licenses": Form(
        actor="sysadmin",
        kwargs=lambda w, o: {"number": w.subscription.number},
        valid=lambda w, o: {"seats_bokforing": "1"},
        cases={
            "negative": ({"seats_bokforing": "-3"}, "Ange ett antal mellan 0 och"),
            "huge": ({"seats_bokforing": HUGE}, "Ange ett antal mellan 0 och"),
            "text": ({"seats_bokforing": HTML}, "Ange ett heltal."),
        },
    ),
    "collaboration:subscription_plan": Form(
        actor="sysadmin",
        kwargs=lambda w, o: {"number": w.subscription.number},
        valid=lambda w, o: {"plan": "start"},
        cases={"html": ({"plan": HTML}, "Välj ett giltigt alternativ.")},
    ),
    "collaboration:subscription_recipient": Form(
        actor="sysadmin",
        kwargs=lambda w, o: {"number": w.subscription.number},
        valid=lambda w, o: {"recipient": "client"},
        cases={"html": ({"recipient": HTML}, "Välj ett giltigt alternativ.")},
    ),
    "two_factor_verify": Form(
        actor="firm_admin",
        prepare=_password_step,
        valid=lambda w, o: {"code": "000000"},
        cases=CODE_CASES,
    ),
    "two_factor_setup": Form(
        actor="firm_admin",
        prepare=_password_step_without_app,
        valid=lambda w, o: {"code": "000000"},
        cases={**CODE_CASES, "recovery code": ({"code": "abcd-efgh"}, "Koden stämmer inte")},
    ),
    "two_factor_disable": Form(
        actor="client_user",  # optional for them, so they may turn it off
        prepare=lambda c, w, o: app_device(w.client_user) and None,
        valid=lambda w, o: {"code": "000000"},
        cases=CODE_CASES,
    ),
}


# Routes that take a POST without typed input (buttons, checkboxes, choices
# among the caller's own objects) or whose input is only a token. Unknown
# values there mean "not ticked" or 404; tests/test_fuzz_forms.py still posts
# garbage in every field they read and requires no server error. A field
# typed into, or an id parsed from the POST, belongs in FORMS instead.
def _review(w: World, o: dict[str, Any]) -> dict[str, Any]:
    return {"review_id": o["review"].pk}


def _soon(days: int) -> str:
    return (today_in_stockholm() + timedelta(days=days)).isoformat()


CHOICE_REFUSED = "Välj ett giltigt alternativ."
REVIEW_FORMS: dict[str, Form] = {
    "collaboration:access_reviews": Form(
        actor="firm_admin",
        valid=lambda w, o: {"due_on": _soon(20)},
        cases={
            "yesterday": (
                lambda w, o: {"due_on": _soon(-1)},
                "Välj ett datum från i dag och högst ett år framåt.",
            ),
            "far in the past": ({"due_on": FAR_PAST}, DATE_RANGE),
            "year 9999": ({"due_on": FAR_FUTURE}, DATE_RANGE),
            "empty": ({"due_on": ""}, "Detta fält måste fyllas i."),
            "html": ({"due_on": HTML}, "Fyll i ett giltigt datum."),
            "control characters": ({"due_on": "2099-\x0012-31"}, "Fyll i ett giltigt datum."),
        },
    ),
    "collaboration:access_review_row": Form(
        actor="firm_admin",
        kwargs=lambda w, o: {"review_id": o["review"].pk, "row_id": o["review_row"].pk},
        valid=lambda w, o: {"decision": "restrict", "niva_bokforing": "read", "ends_on": ""},
        cases={
            "a higher level": ({"niva_bokforing": "admin"}, CHOICE_REFUSED),
            "html level": ({"niva_bokforing": HTML}, CHOICE_REFUSED),
            "nothing lowered": (
                {"niva_bokforing": "approver"},
                "Sänk minst en behörighet eller ange ett slutdatum.",
            ),
            "yesterday": (
                lambda w, o: {"ends_on": _soon(-1)},
                "Datumet kan inte ligga i det förflutna.",
            ),
            "far in the past": ({"ends_on": FAR_PAST}, DATE_RANGE),
            "year 9999": ({"ends_on": FAR_FUTURE}, DATE_RANGE),
            "html date": ({"ends_on": HTML}, "Fyll i ett giltigt datum."),
            "unknown decision": ({"decision": HTML}, CHOICE_REFUSED),
            "no decision": ({"decision": ""}, "Välj Behåll eller Ta bort."),
        },
    ),
    "collaboration:access_review_bulk": Form(
        actor="firm_admin",
        kwargs=_review,
        valid=lambda w, o: {"decision": "keep", "konsult": w.consultant.pk, "klient": ""},
        cases={
            "neither consultant nor client": (
                {"konsult": ""},
                "Välj en konsult eller ange ett abonnemangsnummer.",
            ),
            "both": (
                lambda w, o: {"klient": w.subscription.number},
                "Välj en konsult eller ange ett abonnemangsnummer.",
            ),
            "another firm's consultant": (
                lambda w, o: {"konsult": w.other_firm_consultant.pk},
                CHOICE_REFUSED,
            ),
            "html consultant": ({"konsult": HTML}, CHOICE_REFUSED),
            "unicode digits": ({"konsult": "", "klient": UNICODE_DIGITS}, "Fyll i ett heltal."),
            "5,000 digits": ({"konsult": "", "klient": DIGITS_5000}, "Fyll i ett heltal."),
            "negative": ({"konsult": "", "klient": "-5"}, "större än eller lika med 1"),
            "unknown decision": ({"decision": "restrict"}, CHOICE_REFUSED),
        },
    ),
    "collaboration:access_review_reviewer": Form(
        actor="firm_admin",
        kwargs=_review,
        valid=lambda w, o: {"konsult": w.consultant.pk, "granskare": w.firm_admin.pk},
        cases={
            "no consultant": ({"konsult": ""}, "Välj konsult."),
            "another firm's reviewer": (
                lambda w, o: {"granskare": w.other_firm_consultant.pk},
                CHOICE_REFUSED,
            ),
            "html": ({"granskare": HTML}, CHOICE_REFUSED),
            "superscript digits": ({"konsult": SUPERSCRIPT_DIGITS}, CHOICE_REFUSED),
        },
    ),
    "collaboration:subscription_access_review_row": Form(
        actor="sysadmin",
        kwargs=lambda w, o: {
            "number": w.subscription.number,
            "review_id": o["subscription_review"].pk,
            "row_id": o["subscription_review_row"].pk,
        },
        valid=lambda w, o: {"decision": "keep"},
        cases={
            "restrict": ({"decision": "restrict"}, CHOICE_REFUSED),
            "html": ({"decision": HTML}, CHOICE_REFUSED),
            "none": ({"decision": ""}, "Välj Behåll eller Ta bort."),
        },
    ),
}
FORMS |= REVIEW_FORMS

# Flow 10 (collaboration/agreements/forms.py).
FORMS |= {
    "collaboration:firm_agreements": Form(
        actor="firm_admin",
        valid=lambda w, o: {"kind": "pub", "title": "PuB-avtal", "document": pdf_file()},
        cases={
            "not a pdf": (
                lambda w, o: {"document": pdf_file(content=HTML.encode())},
                "Avtalet ska vara en PDF. Filen avtal.pdf är inte det",
            ),
            "no file": ({"document": ""}, "Välj avtalet som PDF."),
            "empty title": ({"title": ""}, "Skriv avtalets titel"),
            "overlong": ({"title": OVERLONG}, "Titeln får vara högst 200 tecken."),
            "control characters": ({"title": NUL}, "Null-tecken är inte tillåtna."),
            "unknown kind": ({"kind": HTML}, "Välj typ av avtal."),
        },
    ),
    "collaboration:ask_for_confirmation": Form(
        actor="firm_admin",
        valid=lambda w, o: {"numbers": [str(w.subscription.number)]},
        cases={
            "none": ({"numbers": []}, "Välj minst en klient."),
            "html": ({"numbers": [HTML]}, "Ett abonnemangsnummer är ogiltigt."),
            "huge": ({"numbers": [HUGE]}, "Ett abonnemangsnummer är ogiltigt."),
            "negative": ({"numbers": ["-1"]}, "Ett abonnemangsnummer är ogiltigt."),
            "unicode digits": ({"numbers": [UNICODE_DIGITS]}, "Ett abonnemangsnummer är ogiltigt."),
            "51 rows": (
                {"numbers": [str(n) for n in range(1, 52)]},
                "För många klienter: högst 50 per utskick, du valde 51.",
            ),
        },
    ),
    "collaboration:subscription_agreements": Form(
        actor="sysadmin",
        kwargs=lambda w, o: {"number": w.subscription.number},
        valid=lambda w, o: {"agreement": [str(o["agreement_ask"].pk)]},
        cases={
            "none ticked": ({"agreement": []}, "Kryssa i de avtal du bekräftar."),
            "html": ({"agreement": [HTML]}, "Avtalet finns inte längre att bekräfta."),
            "huge": ({"agreement": [HUGE]}, "Avtalet finns inte längre att bekräfta."),
        },
    ),
}

NO_TYPED_INPUT = {
    "set_language": "a language choice; an unknown code is ignored",
    "logout": "a button",
    "two_factor_recovery_codes": "a button (makes new recovery codes)",
    "invitation_renew": "a button on an expired link",
    "invitation_accept": "Django's SetPasswordForm, the same as password_change's new password",
    "password_reset_confirm": "Django's SetPasswordForm behind a single-use token",
    "firm_reinvite": "a button",
    "firm_resend_offer": "a button",
    "firm_withdraw_offer": "a confirmation button",
    "clients:withdraw_offer": "a confirmation button",
    "join_offer_accept": "a button (the person asked)",
    "join_offer_decline": "a button (the person asked)",
    "firm_set_seat": "a checkbox",
    "firm_set_roles": "two checkboxes",
    "firm_offboard": "a confirmation button",
    "collaboration:withdraw_request": "a button",
    "collaboration:firm_change_approve": "a button",
    "collaboration:firm_change_refuse": "a button",
    "collaboration:firm_change_cancel": "a confirmation button",
    # Flow 8: buttons; "Påminn nu" on a welcome link reads only `next` (next_url's rules).
    "collaboration:remind_request": "a button",
    "collaboration:send_request_again": "a button",
    "collaboration:dismiss_request": "a button",
    "collaboration:remind_offer": "a button",
    "collaboration:remind_client_offer": "a button",
    "collaboration:remind_welcome": "a button (and `next`, as new_customer_resend)",
    "collaboration:approve_request": "a button",
    "collaboration:reject_request": "a button",
    "clients:permissions": "a grid of level choices; unknown levels are refused per cell",
    "clients:set_level": "a level choice",
    "clients:set_sysadmin": "a checkbox",
    "clients:add_license": (
        "a confirmation button; the member and level come from the grid (unknown: 404), "
        "the price shown is compared with today's (another: asked again)"
    ),
    "clients:suspend_member": "a button",
    "clients:resume_member": "a button",
    "clients:invite_username": "writes nothing (suggests a username)",
    "collaboration:new_customer_resend": "a button",
    "collaboration:new_customer_cancel": "a button",
    "collaboration:new_customer_accept": (
        "a checkbox, and Django's SetPasswordForm behind the emailed token"
    ),
    "collaboration:collaboration_end": "a confirmation button",
    "collaboration:subscription_end_coupling": "a confirmation button",
    # The firm side of "Samarbeten": the same three forms as the subscription
    # side above (collaboration/changes/forms.py), reached through the firm's coupling.
    "collaboration:access_review_complete": "a button",
    "collaboration:subscription_access_reviews": "a button (starts the review)",
    "collaboration:subscription_access_review_complete": "a button",
    "collaboration:access_removal_answer": "two buttons (Genomför / Avböj)",
    "collaboration:collaboration_licenses": "LicensesForm, cased as subscription_licenses",
    "collaboration:collaboration_plan": "PlanForm, cased as subscription_plan",
    "collaboration:collaboration_recipient": "RecipientForm, cased as subscription_recipient",
}


def snapshot() -> dict[str, int]:
    """Row counts of every table of ours (and the two-factor devices)."""
    labels = ("firm_portal", "clients", "collaboration", "licensing", "notifications")
    models = [m for label in labels for m in apps.get_app_config(label).get_models()]
    models += list(apps.get_app_config("otp_totp").get_models())
    models += list(apps.get_app_config("otp_static").get_models())
    return {model._meta.label: model._default_manager.count() for model in models}


def form_objects(world: World) -> dict[str, Any]:
    """Tenant A's objects the forms point at."""
    invitable = make_invitable(world, ["Alfa AB", "Beta AB"])
    factories.CouplingFactory(firm=world.firm, subscription=world.subscription)
    consultant_membership = Membership.objects.create(
        subscription=world.subscription, user=world.consultant.user, consultant=world.consultant
    )
    lonely = factories.MembershipFactory(is_sysadmin=True).subscription
    # Coupled to another firm, with a sysadmin of its own ("Byte av byrå").
    taken = factories.MembershipFactory(is_sysadmin=True).subscription
    factories.CouplingFactory(subscription=taken)
    factories.give_level(consultant_membership, "bokforing", "approver")
    return {
        "taken": taken,
        # Flow 10: firm A asks S's sysadmin to confirm its PuB-avtal.
        "agreement_ask": ask(agreement_document(world), world.subscription.pk),
        "invitable": invitable,
        "consultant_membership": consultant_membership,
        "lonely": lonely,
        **_review_objects(world, consultant_membership),
    }


def _review_objects(world: World, membership: Membership) -> dict[str, Any]:
    """Firm A's open review and S's own, each with the consultant's row in S."""
    review = review_start(firm_id=world.firm.pk, actor=world.firm_admin.user)
    own = subscription_review_start(subscription=world.subscription, actor=world.sysadmin)
    return {
        "review": review,
        "review_row": AccessReviewRow.objects.get(review=review, membership_id=membership.pk),
        "subscription_review": own,
        "subscription_review_row": AccessReviewRow.objects.get(
            review=own, membership_id=membership.pk
        ),
    }


def dummy_kwargs(pattern: URLPattern) -> dict[str, Any]:
    return {
        name: 999_999 if converter.regex == "[0-9]+" else "x"
        for name, converter in pattern.pattern.converters.items()
    }


def form_url(route: str, form: Form, world: World, objects: dict[str, Any]) -> str:
    return reverse(route, kwargs=form.kwargs(world, objects))


def payload_for(form: Form, case: str, world: World, objects: dict[str, Any]) -> Payload:
    overrides, _message = form.cases[case]
    if callable(overrides):
        overrides = overrides(world, objects)
    return {**form.valid(world, objects), **overrides}


def logged_in_client(form: Form, world: World, objects: dict[str, Any]) -> Client:
    client = Client()
    if form.login:
        actor = getattr(world, form.actor)
        client.force_login(getattr(actor, "user", actor))
    if form.prepare is not None:
        form.prepare(client, world, objects)
    return client


def post_and_follow(client: Client, url: str, data: Payload) -> list[Any]:
    """Every response on the way (a redirect with a message is followed)."""
    responses = [client.post(url, data)]
    while responses[-1].status_code in (301, 302, 303) and len(responses) < 5:
        responses.append(client.get(responses[-1]["Location"]))
    return responses
