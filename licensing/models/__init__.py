"""The licensing app's models, one module per concept."""

from licensing.models.changes import (
    BillingChange,
    ClientManagerSeatChange,
    FirmCharge,
    LicenseChange,
    PlanChange,
)
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
from licensing.models.runs import InvoicingPayer, InvoicingRun

__all__ = [
    "AgreementPeriod",
    "BillingChange",
    "ClientManagerSeatChange",
    "ClientManagerSeatPrice",
    "FirmBillingDetails",
    "FirmCharge",
    "Invoice",
    "InvoiceLine",
    "InvoicingPayer",
    "InvoicingRun",
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
