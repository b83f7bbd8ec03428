"""The demo logins and what to try with each: the table `seed_demo` prints
and README.md shows (a test holds the two the same)."""

from clients.models import Client
from firm_portal.management.demo.specs import FIRM_MANAGED_COUNT, FIRM_MANAGED_SYSADMIN


def demo_logins(*, bageriet: Client) -> list[tuple[str, str, str]]:
    """E-post, roll, what to try: the rows of README.md's demo table (a test
    holds the two the same)."""
    return [
        (
            "anna@norr.demo",
            "Byråadministratör, Redovisningsbyrån Norr AB (licens, programadministratör)",
            f'"Ny klient" → `{bageriet.org_number}` ({bageriet.name}) → skicka förfrågan till '
            'Lisa; "Fakturor"; "Bjud in klientanvändare"',
        ),
        (
            "erik@norr.demo",
            "Konsult på Norr med licens",
            "Ser klienterna han är ansvarig för; en sammankoppling är schemalagd",
        ),
        (
            "nils@norr.demo",
            "Konsult på Norr utan licens",
            'Startsidan och "Ny klient" förklarar att licens saknas och vilka byråns '
            "administratörer är",
        ),
        (
            "maja@norr.demo",
            "Konsult på Norr och systemadministratör hos Fjällstugan Turism AB",
            "Startsidan visar båda delarna; att göra-kort från Malmö Bokföringsbyrå AB",
        ),
        (
            FIRM_MANAGED_SYSADMIN,
            f"Konsult på Norr, systemadministratör hos {FIRM_MANAGED_COUNT} småföretag som "
            "Norr sköter abonnemanget åt",
            "De har inga egna användare än: Norr kan bjuda in dem",
        ),
        (
            "karin@gbg.demo",
            "Byråadministratör, Siffror & Skatt i Göteborg AB",
            "Väntande förfrågningar; återkalla en",
        ),
        (
            "lisa@kund.demo",
            "Klientanvändare, systemadministratör för Bageriet Solsidan AB",
            'Att göra-kort → "Jag godkänner" → "Tilldela behörigheter"; "Fakturor"',
        ),
        (
            "per@kund.demo",
            "Systemadministratör i båda abonnemangen för Perssons Rör & Värme AB",
            "Två abonnemang på startsidan",
        ),
        ("admin@byraportalen.demo", "Support (Django admin)", "http://127.0.0.1:8000/admin/"),
    ]


# What the demo shows without writing code (README.md has the same lines).
TRY_THIS = (
    'Fakturor: `anna@norr.demo` → "Fakturor" visar förra månadens fakturor till byrån, '
    'Samlingsfakturan bland dem, var och en som PDF ("Ladda ned"). En kunds egna fakturor: '
    '`lisa@kund.demo` → "Fakturor" på startsidan.',
    '50 rader: `anna@norr.demo` → "Hantera klienter" → "Bjud in klientanvändare" → "Lägg till '
    'nya användare och bjud in" listar över 60 klienter utan egna användare. Fyll i 51 rader: '
    "utskicket stoppas (högst 50 per utskick); med 50 går det iväg.",
    'Sms och mejl: ett mobilnummer på en rad i "Bjud in klientanvändare" (eller för '
    'primärkontakten i "Skapa nytt samarbete") ger ett sms. Varje sms skrivs till `var/sms/` '
    "och i konsolen, varje mejl till `var/mail/`, en fil per meddelande.",
)
