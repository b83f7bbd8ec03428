"""The report of a completed "Åtkomstgranskning": its rows as text, as CSV
(semicolons, UTF-8 with BOM: firm_portal.spreadsheet) and as PDF
(WeasyPrint, as the invoices in licensing/pdf.py: inline CSS, only data:
URLs fetched). Made once, when the review is completed, and kept."""

import hashlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import override

from clients.models import Level, Program
from collaboration.access_review.models import (
    AccessReview,
    AccessReviewReport,
    AccessReviewRow,
    Decision,
    Outcome,
)
from firm_portal.spreadsheet import excel_csv
from firm_portal.timeutils import STOCKHOLM

TEMPLATE = "collaboration/access_review/report_pdf.html"
ROW_FIELDS = (
    "pk",
    "levels",
    "is_sysadmin",
    "ends_on",
    "suspended",
    "granted_at",
    "granted_by",
    "last_login",
    "decision",
    "restrict_levels",
    "restrict_ends_on",
    "decided_at",
    "outcome",
    "outcome_detail",
)


def levels_text(levels: Mapping[str, str] | None, programs: Mapping[str, str]) -> str:
    """ "Bokföring: Läs, Lön: –" (program names by code; "" is no level)."""
    if not levels:
        return "–"
    labels = dict(Level.choices)
    return ", ".join(
        f"{programs.get(code, code)}: {labels.get(level, '–') if level else '–'}"
        for code, level in sorted(levels.items(), key=lambda item: programs.get(item[0], item[0]))
    )


def when(value: datetime | None) -> str:
    return f"{value.astimezone(STOCKHOLM):%Y-%m-%d %H:%M}" if value else "–"


def row_values(review: AccessReview) -> Iterator[dict[str, Any]]:
    """Every row with names, in the review's order."""
    return (
        AccessReviewRow.objects.filter(review=review)
        .order_by("pk")  # written in the order of consultant and client names
        .values(
            *ROW_FIELDS,
            consultant_name=F("consultant__user__full_name"),
            client_name=F("subscription__client__name"),
            org_number=F("subscription__client__org_number"),
            number=F("subscription__number"),
            firm_name=F("firm__name"),
            decided_by_name=F("decided_by__full_name"),
        )
        .iterator(chunk_size=2000)
    )


@dataclass
class ReportRow:
    consultant: str
    firm: str
    client: str
    org_number: str
    number: int
    levels: str
    sysadmin: str
    ends_on: str
    suspended: str
    granted: str
    last_login: str
    decision: str
    change: str
    decided_by: str
    decided_at: str
    outcome: str


def report_rows(review: AccessReview) -> Iterator[ReportRow]:
    programs = dict(Program.objects.values_list("code", "name"))
    decisions = dict(Decision.choices)
    outcomes = dict(Outcome.choices)
    yes, no = _("Ja"), _("Nej")
    for row in row_values(review):
        change = ""
        if row["decision"] == Decision.RESTRICT:
            parts = []
            if row["restrict_levels"]:
                parts.append(levels_text(row["restrict_levels"], programs))
            if row["restrict_ends_on"]:
                parts.append(_("till och med %(date)s") % {"date": row["restrict_ends_on"]})
            change = "; ".join(parts)
        outcome = str(outcomes.get(row["outcome"], "")) if row["outcome"] else ""
        if row["outcome_detail"]:
            outcome = f"{outcome}: {row['outcome_detail']}"
        yield ReportRow(
            consultant=row["consultant_name"],
            firm=row["firm_name"],
            client=row["client_name"],
            org_number=row["org_number"],
            number=row["number"],
            levels=levels_text(row["levels"], programs),
            sysadmin=yes if row["is_sysadmin"] else no,
            ends_on=str(row["ends_on"] or _("tills vidare")),
            suspended=yes if row["suspended"] else no,
            granted=" ".join(filter(None, [when(row["granted_at"]), row["granted_by"]])),
            last_login=when(row["last_login"]),
            decision=str(decisions.get(row["decision"], "")),
            change=change,
            decided_by=row["decided_by_name"] or "",
            decided_at=when(row["decided_at"]),
            outcome=outcome,
        )


CSV_HEADER = (
    "Konsult",
    "Byrå",
    "Klient",
    "Organisationsnummer",
    "Abonnemang",
    "Behörigheter",
    "Systemadministratör",
    "Åtkomst till och med",
    "Pausad",
    "Given",
    "Senaste inloggning",
    "Beslut",
    "Ändring",
    "Beslutad av",
    "Beslutad",
    "Resultat",
)


def report_csv(review: AccessReview) -> bytes:
    return excel_csv(CSV_HEADER, ([*vars(row).values()] for row in report_rows(review)))


def _summary(rows: list[ReportRow]) -> dict[str, Any]:
    reviewers: dict[str, list[str]] = {}
    for row in rows:
        if row.decided_by:
            reviewers.setdefault(row.decided_by, []).append(row.decided_at)
    return {
        # Lists of pairs: a template looks up "items" in a Counter as a key.
        "decisions": sorted(Counter(row.decision for row in rows).items()),
        "outcomes": sorted(Counter(row.outcome.split(":")[0] for row in rows).items()),
        "reviewers": [
            {"name": name, "count": len(times), "first": min(times), "last": max(times)}
            for name, times in sorted(reviewers.items())
        ],
        "pending": [row for row in rows if row.outcome == str(Outcome.REQUESTED.label)],
    }


def report_html(review: AccessReview) -> str:
    with override("sv"):
        rows = list(report_rows(review))
        return render_to_string(
            TEMPLATE,
            {
                "review": review,
                "owner": _owner(review),
                "rows": rows,
                "started": when(review.started_at),
                "completed": when(review.completed_at),
                **_summary(rows),
            },
        )


def _owner(review: AccessReview) -> str:
    if review.firm_id is not None:
        return review.firm.name  # type: ignore[union-attr]
    subscription = review.subscription
    return f"{subscription.client.name} ({subscription.number})"  # type: ignore[union-attr]


def report_pdf(review: AccessReview) -> bytes:
    # Imported here: WeasyPrint is heavy, and only the report needs it.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    pdf = HTML(string=report_html(review), url_fetcher=fetcher).write_pdf()
    if pdf is None:
        raise RuntimeError("WeasyPrint returned no PDF")
    return pdf


def report_store(*, review: AccessReview) -> AccessReviewReport:
    """Make and keep the report (called once, as the review completes)."""
    with override("sv"):
        csv = report_csv(review)
        pdf = report_pdf(review)
    return AccessReviewReport.objects.create(
        review=review, pdf=pdf, csv=csv, pdf_sha256=hashlib.sha256(pdf).hexdigest()
    )


def report_filename(review: AccessReview, extension: str) -> str:
    return f"atkomstgranskning-{review.started_at:%Y-%m-%d}-{review.pk}.{extension}"
