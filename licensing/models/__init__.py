"""Licensing's models by concept: `changes` (the billable history), `charges`
(one-off fees), `prices` (the price list and återförsäljaravtal), `payers`
(who pays) and `invoices`. Import them from here."""

from licensing.models.changes import (
    BillingChange,
    ClientManagerSeatChange,
    LicenseChange,
    PlanChange,
)
from licensing.models.charges import FirmCharge
from licensing.models.invoices import Invoice, InvoiceLine
from licensing.models.payers import (
    AgreementPeriod,
    FirmBillingDetails,
    PostalAddress,
    Recipient,
    SubscriptionBilling,
)
from licensing.models.prices import (
    ClientManagerSeatPrice,
    PlanPrice,
    PricePeriod,
    ProgramPrice,
    ResellerAgreement,
)

__all__ = [
    "AgreementPeriod",
    "BillingChange",
    "ClientManagerSeatChange",
    "ClientManagerSeatPrice",
    "FirmBillingDetails",
    "FirmCharge",
    "Invoice",
    "InvoiceLine",
    "LicenseChange",
    "PlanChange",
    "PlanPrice",
    "PostalAddress",
    "PricePeriod",
    "ProgramPrice",
    "Recipient",
    "ResellerAgreement",
    "SubscriptionBilling",
]
