"""`manage.py seed_demo` on an empty database keeps the demo's promises
(issue 14, "The demo shows everything"): a firm with more clients to invite
users to than one send takes, last month invoiced (a Samlingsfaktura among
the invoices, its PDF rendered), SMS written to files, the printed table in
Swedish and the same as README.md's, and --reset rebuilding it.

transaction=True: the seed's own transaction is a real one here, as under
`make run` (its row locks, e.g. the invoice and abonnemangsnummer counters,
run inside it)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from clients.models import Client, JoinOffer, Subscription
from collaboration.bulk_invitations import invitable_subscriptions
from firm_portal.management.commands import seed_demo
from firm_portal.models import Consultant
from firm_portal.timeutils import today_in_stockholm
from licensing.models import Invoice, Recipient
from licensing.pdf import invoice_pdf
from licensing.pricing import Month
from notifications.models import OutboxMessage
from tests.firm_portal.demo_helpers import logged_in, seed

pytestmark = pytest.mark.django_db(transaction=True)

README = Path(settings.BASE_DIR) / "README.md"


def test_the_demo_keeps_its_promises(empty_database_after_migrate, settings, tmp_path):  # type: ignore[no-untyped-def]
    printed = seed()
    assert printed.startswith("Demodata skapad: 3 byråer")

    # 50-row invitations: Norr's firm admin has more clients to invite to
    # than one send takes.
    anna = Consultant.objects.get(user__email="anna@norr.demo")
    invitable = list(invitable_subscriptions(consultant=anna))
    assert len(invitable) >= 55
    page = logged_in("anna@norr.demo").get(reverse("clients:invite_new"))
    assert page.status_code == 200
    assert page.text.count('name="r') >= 55 * 4  # Namn, e-post, användarnamn, mobil per row

    # Last month is invoiced, Norr's Samlingsfaktura among the invoices.
    month = Month.of(today_in_stockholm()).previous().first
    invoices = Invoice.objects.filter(month=month)
    assert invoices.count() >= Subscription.objects.count() // 2
    consolidated = invoices.get(is_consolidated=True)
    assert consolidated.recipient_firm is not None
    assert consolidated.recipient_firm.name == "Redovisningsbyrån Norr AB"
    customers = set(
        consolidated.lines.exclude(subscription=None).values_list("customer_name", flat=True)
    )
    assert len(customers) == 2
    assert consolidated.total_amount == consolidated.net_amount + consolidated.vat_amount > 0
    assert invoice_pdf(invoice=consolidated).startswith(b"%PDF-")
    anna_client = logged_in("anna@norr.demo")
    listing = anna_client.get(reverse("licensing:firm_invoices"))
    assert "Inga fakturor ännu" not in listing.text
    assert str(consolidated.number) in listing.text
    pdf = anna_client.get(
        reverse("licensing:firm_invoice_pdf", kwargs={"invoice_number": consolidated.number})
    )
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    # A customer's own invoice, for its sysadmin.
    bakery = Subscription.objects.get(client__name=seed_demo.BAGERIET)
    own = invoices.get(subscription=bakery, recipient_kind=Recipient.CLIENT)
    lisa_page = logged_in("lisa@kund.demo").get(
        reverse("licensing:subscription_invoices", kwargs={"number": bakery.number})
    )
    assert str(own.number) in lisa_page.text

    # SMS: make run's backend writes each to a file (and the console).
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.MAILERS = {
        "default": {
            "BACKEND": "notifications.mail.file.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path / "mail")},
        }
    }
    rows: dict[str, str] = {}
    for number, subscription in enumerate(invitable[:2]):
        prefix = f"r{subscription.pk}"
        rows |= {
            f"{prefix}-full_name": f"Demo Person {number}",
            f"{prefix}-email": f"demo.person{number}@example.se",
            f"{prefix}-username": "",
            f"{prefix}-mobile": f"070-123 45 6{number}",
        }
    sent = anna_client.post(reverse("clients:invite_new"), rows)
    assert sent.status_code == 302, sent.text
    assert JoinOffer.objects.filter(user__email__startswith="demo.person").count() == 2
    sms_files = sorted((tmp_path / "sms").iterdir())
    assert len(sms_files) == 2
    assert {path.read_text().split("\n")[1] for path in sms_files} == {
        "To: +46701234560",
        "To: +46701234561",
    }
    assert len(list((tmp_path / "mail").iterdir())) == 2  # a file per e-mail too
    assert not OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).exists()

    # The printed table is README's, in Swedish.
    readme = README.read_text(encoding="utf-8")
    table = [line for line in printed.splitlines() if line.startswith("| `")]
    assert len(table) == len(seed_demo.demo_logins(bageriet=bakery.client)) == 9
    for line in table:
        assert line in readme, line
    readme_table = [line for line in readme.splitlines() if line.startswith("| `")]
    demo_rows = [line for line in readme_table if ".demo`" in line]
    assert demo_rows == table
    for line in seed_demo.TRY_THIS:
        assert f"- {line}" in printed and f"- {line}" in readme
    for org_number in ("556141-7071", "559364-5566", "559513-6275"):  # README's, unchanged
        assert org_number in printed and f"`{org_number}`" in readme
    # Two-factor authentication is required for whoever can grant access.
    assert re.search(r"\| `johan@norr\.demo` \| [^|]+ \| krävs \|", printed)
    assert re.search(r"\| `erik@norr\.demo` \| [^|]+ \| valfri \|", printed)


def test_seed_again_reset_and_determinism(empty_database_after_migrate):  # type: ignore[no-untyped-def]
    first = seed()
    numbers = dict(Client.objects.values_list("name", "org_number"))
    invoice_count = Invoice.objects.count()

    again = seed()
    assert again.startswith("Demodata finns redan")
    assert [line for line in again.splitlines() if line.startswith("| `")] == [
        line for line in first.splitlines() if line.startswith("| `")
    ]
    assert Invoice.objects.count() == invoice_count

    rebuilt = seed("--reset")
    assert rebuilt.startswith("Demodata skapad")
    assert dict(Client.objects.values_list("name", "org_number")) == numbers
    assert Invoice.objects.count() == invoice_count
    assert len(numbers) == 100
