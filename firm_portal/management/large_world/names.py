"""Names and catalogues for the large benchmark data set."""

from clients.models import Plan

FIRST_NAMES = (
    "Anders", "Annika", "Björn", "Camilla", "Daniel", "Ebba", "Fredrik", "Gunilla",
    "Henrik", "Ida", "Jonas", "Josefin", "Kristina", "Lars", "Linda", "Magnus",
    "Malin", "Mats", "Mikael", "Monica", "Niklas", "Petra", "Rasmus", "Sanna",
    "Stefan", "Therese", "Tobias", "Ulrika", "Viktor", "Åsa", "Ingrid", "Hampus",
    "Alva", "Leila", "Mohammed", "Yasmin", "Göran", "Elsa", "Hugo", "Wilma",
    "Karin", "Oskar", "Elin", "David", "Sofia", "Ahmed", "Emma", "Gustav",
)  # fmt: skip
LAST_NAMES = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
    "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Hansson", "Bengtsson",
    "Jönsson", "Lindberg", "Jakobsson", "Magnusson", "Olofsson", "Lindström", "Lindgren",
    "Axelsson", "Berg", "Bergström", "Lundberg", "Mattsson", "Berglund", "Sandberg",
    "Forsberg", "Sjöberg", "Wallin", "Engström", "Eklund", "Lundin", "Håkansson", "Björk",
    "Öberg", "Nyström", "Sundström", "Holmqvist",
)  # fmt: skip
TOWNS = (
    "Luleå", "Umeå", "Kiruna", "Skellefteå", "Piteå", "Östersund", "Sundsvall", "Gävle",
    "Falun", "Uppsala", "Västerås", "Örebro", "Karlstad", "Norrköping", "Linköping",
    "Jönköping", "Växjö", "Kalmar", "Visby", "Karlskrona", "Halmstad", "Borås",
    "Trollhättan", "Lysekil", "Varberg", "Kungsbacka", "Alingsås", "Malmö", "Lund",
    "Helsingborg", "Ystad", "Trelleborg", "Landskrona", "Höganäs", "Ängelholm",
    "Kristianstad", "Nyköping", "Södertälje", "Haparanda", "Mora",
)  # fmt: skip
TRADES = (
    "Bygg", "Snickeri", "Måleri", "Elektriska", "Rör & Värme", "Ventilation", "Åkeri",
    "Transport", "Bilservice", "Däck", "Frisersalong", "Tandvård", "Optik", "Bageri",
    "Konditori", "Kafé", "Restaurang", "Pizzeria", "Catering", "Blommor", "Trädgård",
    "Städ", "Fönsterputs", "Fastigheter", "Förvaltning", "Arkitekter", "Konsult",
    "Data", "Webbyrå", "Reklam", "Tryckeri", "Juristbyrå", "Mäkleri", "Hälsa",
    "Fysioterapi", "Hundcenter", "Veterinär", "Fiske", "Skogstjänst", "Lantbruk",
    "Plåtslageri", "Golv & Kakel", "Glas", "Lås", "Låssmed", "Möbler", "Inredning",
    "Textil", "Keramik", "Musik", "Foto", "Event", "Resor", "Båtvarv", "Marin",
    "Cykel", "Sport", "Golf", "Kiosk", "Livs",
)  # fmt: skip
LEGAL_FORMS = ("AB", "i Sverige AB", "& Söner AB")
FIRM_KINDS = (
    "Redovisningsbyrå",
    "Ekonomibyrå",
    "Bokföringsbyrå",
    "Revisionsbyrå",
    "Lönebyrå",
    "Ekonomikonsult",
)

# Licences per plan: programs always licensed, the extras that may be and how
# many (all within the plan: clients.catalogue.PLAN_PROGRAMS, checked by a test).
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
PLAN_WEIGHTS = {Plan.FAKTURA: 15, Plan.START: 30, Plan.SMART: 35, Plan.PRO: 20}
ROLE_ORDER = {"sysadmin": 0, "consultant": 1, "user": 2}

OUTBOX_TEMPLATES = (
    ("collaboration-request", "{firm} vill samarbeta med {client}"),
    ("collaboration-approved", "{client} har godkänt samarbetet med {firm}"),
    ("invitation-client-user", "Du är inbjuden till Byråportalen av {firm}"),
    ("client-user-added", "Du har fått tillgång till {client}"),
    ("collaboration-expired", "Förfrågan till {client} har gått ut"),
)
