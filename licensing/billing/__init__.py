"""Billing: who pays for a subscription, and the monthly invoicing run.

Where it lives: `services` (who pays), `runs` (the run, in chunks over
workers), `selectors` (what a chunk reads), `drafts` (one payer's lines),
`invoices` (writing one invoice), `admin` (the runs in Django admin).

The rules an invoice follows (the tests hold them to the öre):

Days. A month is billed day by day in Europe/Stockholm dates. The quantity of
a day is the one in force at the end of that day, so a licence added on day d
is billed from d inclusive and one removed on day d is not billed for d. A
subscription is billed from the latest of the first of the month, the day it
was created and its agreement's start date; a firm's seats from the latest of
the first of the month and the day the firm was created. Only active
subscriptions are billed (pending ones wait for the customer's acceptance;
ended ones have no end date to bill up to, see the report).

Lines and pro rata. What is held on the first billed day is one line for the
rest of the month ("2 × Bokföring"); every later change is a line of its own
from its day to the month end ("+1 × Bokföring from 15 Nov"). A line covering
`days` of a month of `days_in_month` days costs

    quantity × unit price × days / days_in_month

so a licence added on day d of a 30-day month costs (30 - d + 1) / 30 of the
monthly price, and a removal is a negative line for the days no longer held.

Plans and payers. A plan change ("Variant", `PlanChange`) counts like a
licence change: each day is billed on the plan held at the end of that day,
so a change on day d splits the month into lines on the old plan (to d - 1)
and lines on the new one (from d). A change of invoice recipient
(`BillingChange`) takes effect on the first of a month: a month that ends
before it is billed to the payer before the change.

Prices. Every day is billed at the price valid that day: the reseller price
on days the payer has Samlingsfaktura (its seats: a reseller agreement) and
the firm's reseller agreement is valid, the list price otherwise. Where the
price changes inside a line's days, the line is split at the change.

Rounding. A line's amount is computed exactly (as a fraction) and rounded
once, to whole öre, half away from zero (ROUND_HALF_UP). Nothing before the
line is rounded. The net is the exact sum of the line amounts; moms is 25 % of
the net, rounded the same way (Swedish invoices state VAT on the invoice
total); "Att betala" is net + moms.

Numbers. Invoice numbers come from a counter row locked in the invoice's own
transaction, so they are sequential without gaps. The OCR reference is the
invoice number, a length digit and a Luhn check digit (see `ocr_reference`).
"""

from licensing.billing.invoices import VAT_RATE, invoice_issue, ocr_reference
from licensing.billing.runs import (
    invoicing_chunk_process,
    invoicing_failed_rerun,
    invoicing_run,
    invoicing_run_plan,
    pending_chunks,
)
from licensing.billing.services import (
    billing_validate,
    reseller_agreement_active,
    subscription_billing_set,
    subscription_billings_renew,
)
from licensing.pricing import Month

__all__ = [
    "VAT_RATE",
    "Month",
    "billing_validate",
    "invoice_issue",
    "invoicing_chunk_process",
    "invoicing_failed_rerun",
    "invoicing_run",
    "invoicing_run_plan",
    "ocr_reference",
    "pending_chunks",
    "reseller_agreement_active",
    "subscription_billing_set",
    "subscription_billings_renew",
]
