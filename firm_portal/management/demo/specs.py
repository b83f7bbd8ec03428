"""What the demo world is made of: its firms and consultants, client names,
the names people get, and the licences each plan gets. Declarative only; the
modules beside this one build the rows from it."""

import random
from dataclasses import dataclass
from datetime import timedelta

from clients.models import Plan

SEED = 2026
DEMO_PASSWORD = "demo1234"  # noqa: S105 - documented demo password
DEMO_EMAIL_SUFFIX = ".demo"
CLIENT_MANAGER_SEATS = 10
REQUEST_TTL = timedelta(days=30)

NORR, GBG, MALMO = "norr", "gbg", "malmo"
# Norr's clients that can be given users with "Bjud in klientanvändare": more
# than one send takes (50), so the limit can be tried.
FIRM_MANAGED_COUNT = 60
FIRM_MANAGED_SYSADMIN = "johan@norr.demo"


@dataclass(frozen=True)
class ConsultantSpec:
    email: str
    full_name: str
    is_firm_admin: bool = False
    is_client_manager_admin: bool = False
    has_seat: bool = True


@dataclass(frozen=True)
class FirmSpec:
    key: str
    name: str
    consultants: tuple[ConsultantSpec, ...]


FIRMS: tuple[FirmSpec, ...] = (
    FirmSpec(
        NORR,
        "Redovisningsbyrån Norr AB",
        (
            ConsultantSpec("anna@norr.demo", "Anna Lindberg", True, True),
            ConsultantSpec("erik@norr.demo", "Erik Sundström"),
            ConsultantSpec("maja@norr.demo", "Maja Nyström"),
            ConsultantSpec("johan@norr.demo", "Johan Lindqvist"),
            ConsultantSpec("nils@norr.demo", "Nils Öberg", has_seat=False),
        ),
    ),
    FirmSpec(
        GBG,
        "Siffror & Skatt i Göteborg AB",
        (
            ConsultantSpec("karin@gbg.demo", "Karin Johansson", is_firm_admin=True),
            ConsultantSpec("oskar@gbg.demo", "Oskar Hansson"),
            ConsultantSpec("elin@gbg.demo", "Elin Karlsson"),
            ConsultantSpec("david@gbg.demo", "David Svensson"),
        ),
    ),
    FirmSpec(
        MALMO,
        "Malmö Bokföringsbyrå AB",
        (
            ConsultantSpec("ola@malmo.demo", "Ola Persson", is_firm_admin=True),
            ConsultantSpec("sofia@malmo.demo", "Sofia Nilsson", is_client_manager_admin=True),
            ConsultantSpec("ahmed@malmo.demo", "Ahmed Hassan"),
            ConsultantSpec("emma@malmo.demo", "Emma Bengtsson"),
            ConsultantSpec("gustav@malmo.demo", "Gustav Mattsson", has_seat=False),
        ),
    ),
)
FIRM_NAMES = tuple(spec.name for spec in FIRMS)

BAGERIET = "Bageriet Solsidan AB"
PERSSONS = "Perssons Rör & Värme AB"
FJALLSTUGAN = "Fjällstugan Turism AB"
CLIENT_NAMES: tuple[str, ...] = (
    BAGERIET,
    PERSSONS,
    FJALLSTUGAN,
    "Luleå Elektriska AB",
    "Umeå Snickeri & Bygg AB",
    "Kiruna Gruvservice AB",
    "Skellefteå Måleri AB",
    "Piteå Havsbad Café AB",
    "Norrbottens Skogstjänst AB",
    "Haparanda Handelshus AB",
    "Östersunds Cykelverkstad AB",
    "Sundsvalls Städ & Fönsterputs AB",
    "Gamla Stans Antikvariat AB",
    "Västkustens Fisk & Skaldjur AB",
    "Hisingens Bilservice AB",
    "Majornas Frisersalong AB",
    "Kungsbacka Trädgårdsdesign AB",
    "Alingsås Kafferosteri AB",
    "Borås Textilateljé AB",
    "Trollhättans Plåtslageri AB",
    "Lysekils Båtvarv AB",
    "Varbergs Surfcenter AB",
    "Malmö Möbelsnickeri AB",
    "Lunds Tandläkarpraktik AB",
    "Helsingborgs Hamnlogistik AB",
    "Ystads Glassbar AB",
    "Österlens Äppelmusteri AB",
    "Kristianstads Elinstallationer AB",
    "Trelleborgs Transport AB",
    "Landskrona Golv & Kakel AB",
    "Höganäs Keramikverkstad AB",
    "Ängelholms Hundcenter AB",
    "Pixelhuset Webbyrå AB",
    "Sjöbergs Fastighetsförvaltning AB",
    "Ekdahls Juristbyrå AB",
    "Gröna Gaffeln Restaurang AB",
    "Lindgrens Ventilation AB",
    "Holmqvist Arkitekter AB",
    "Stenbergs Åkeri AB",
    "Söderlunds Optik AB",
)

# Small businesses in Västerbotten whose subscriptions Norr runs itself.
TOWNS = (
    "Umeå", "Skellefteå", "Lycksele", "Vännäs", "Robertsfors", "Bjurholm", "Vindeln",
    "Nordmaling", "Holmsund", "Sävar", "Hörnefors", "Storuman", "Sorsele", "Norsjö",
)  # fmt: skip
TRADES = (
    "Bygg & Montage", "Rörservice", "Elteknik", "Måleri", "Trädgård", "Bilverkstad",
    "Städservice", "Foto", "Snickeri", "Bageri", "Transport", "Hälsa & Massage",
    "Blomsterhandel", "Data & IT", "Tak & Plåt", "Hundtrim", "Frisör", "Golv",
)  # fmt: skip


def firm_managed_names() -> tuple[str, ...]:
    """FIRM_MANAGED_COUNT company names, always the same (delete_demo_data
    finds the rows by them)."""
    pairs = sorted((town, trade) for town in TOWNS for trade in TRADES)
    random.Random(SEED + 1).shuffle(pairs)
    return tuple(f"{town} {trade} AB" for town, trade in pairs[:FIRM_MANAGED_COUNT])


FIRM_MANAGED_NAMES = firm_managed_names()

FIRST_NAMES = (
    "Anders", "Annika", "Björn", "Camilla", "Daniel", "Ebba", "Fredrik", "Gunilla",
    "Henrik", "Ida", "Jonas", "Josefin", "Kristina", "Lars", "Linda", "Magnus",
    "Malin", "Mats", "Mikael", "Monica", "Niklas", "Petra", "Rasmus", "Sanna",
    "Stefan", "Therese", "Tobias", "Ulrika", "Viktor", "Åsa", "Ingrid", "Hampus",
    "Alva", "Leila", "Mohammed", "Yasmin", "Göran", "Elsa", "Hugo", "Wilma",
)  # fmt: skip
LAST_NAMES = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
    "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Hansson", "Bengtsson",
    "Jönsson", "Lindberg", "Jakobsson", "Magnusson", "Olofsson", "Lindström", "Lindgren",
    "Axelsson", "Berg", "Bergström", "Lundberg", "Mattsson", "Berglund", "Sandberg",
    "Forsberg", "Sjöberg", "Wallin", "Engström", "Eklund", "Lundin", "Håkansson", "Björk",
)  # fmt: skip

# Demo licences per plan: programs always licensed, and extras that may be
# (all within the plan: clients.catalogue.PLAN_PROGRAMS, checked by a test).
PLAN_LICENSE_MIX: dict[str, tuple[tuple[str, ...], tuple[str, ...], int]] = {
    Plan.FAKTURA: (("fakturering",), ("kvitto-resa", "offert-order"), 1),
    Plan.START: (("bokforing", "fakturering"), ("kvitto-resa", "arkivplats"), 1),
    Plan.SMART: (("bokforing", "fakturering", "kvitto-resa"), ("lon", "tid", "arkivplats"), 2),
    Plan.PRO: (
        ("bokforing", "fakturering", "lon", "kvitto-resa"),
        ("tid", "offert-order", "lager", "arkivplats"),
        3,
    ),
}

ROLE_ORDER = {"sysadmin": 0, "consultant": 1, "user": 2}
