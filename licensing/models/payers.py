"""Who pays: a firm's invoice details and each subscription's payer."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from firm_portal.request_data import validate_date_in_range


class PostalAddress(models.Model):
    """Where invoices go: a postal address and an email for the PDF."""

    street = models.CharField(_("utdelningsadress"), max_length=200, blank=True)
    postal_code = models.CharField(_("postnummer"), max_length=6, blank=True)
    city = models.CharField(_("ort"), max_length=100, blank=True)
    invoice_email = models.EmailField(_("e-post för fakturor"), blank=True)
    reference = models.CharField(_("er referens"), max_length=100, blank=True)

    class Meta:
        abstract = True

    @property
    def address_lines(self) -> list[str]:
        city_line = " ".join(part for part in (self.postal_code, self.city) if part)
        return [line for line in (self.street, city_line) if line]


class FirmBillingDetails(PostalAddress):
    """The firm's invoice address (for its own invoice and Samlingsfaktura)."""

    firm = models.OneToOneField(
        "firm_portal.Firm",
        on_delete=models.CASCADE,
        related_name="billing_details",
        verbose_name=_("byrå"),
    )

    class Meta:
        verbose_name = _("faktureringsuppgifter för byrå")
        verbose_name_plural = _("faktureringsuppgifter för byråer")

    def __str__(self) -> str:
        return str(self.firm)


class Recipient(models.TextChoices):
    CLIENT = "client", _("Kunden")
    FIRM = "firm", _("Byrån")


class AgreementPeriod(models.IntegerChoices):
    THREE_MONTHS = 3, _("3 månader")
    TWELVE_MONTHS = 12, _("12 månader")


class SubscriptionBilling(PostalAddress):
    """Who pays for a subscription ("Fakturamottagare"), how ("Samlingsfaktura")
    and for how long ("Avtalsperiod"). A subscription without a row is billed
    to the client at list prices. Set through `billing.subscription_billing_set`,
    which checks the reseller-agreement rule. The address fields are the
    client's invoice address (the firm's is `FirmBillingDetails`)."""

    subscription = models.OneToOneField(
        "clients.Subscription",
        on_delete=models.PROTECT,
        related_name="billing",
        verbose_name=_("abonnemang"),
    )
    recipient = models.CharField(
        _("fakturamottagare"), max_length=10, choices=Recipient.choices, default=Recipient.CLIENT
    )
    firm = models.ForeignKey(
        "firm_portal.Firm",
        on_delete=models.PROTECT,
        related_name="paid_subscriptions",
        null=True,
        blank=True,
        verbose_name=_("betalande byrå"),
    )
    consolidated = models.BooleanField(
        _("samlingsfaktura"),
        default=False,
        help_text=_("Byrån får abonnemanget på sin samlingsfaktura, till återförsäljarpris."),
    )
    period_months = models.PositiveSmallIntegerField(
        _("avtalsperiod"), choices=AgreementPeriod.choices, default=AgreementPeriod.TWELVE_MONTHS
    )
    starts_on = models.DateField(_("avtalet gäller från"), validators=[validate_date_in_range])
    renews_on = models.DateField(_("förnyas"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("betalare för abonnemang")
        verbose_name_plural = _("betalare för abonnemang")
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient="client", firm__isnull=True)
                | Q(recipient="firm", firm__isnull=False),
                name="billing_firm_iff_firm_pays",
                violation_error_message=_("Välj byrån när byrån är fakturamottagare."),
            ),
            models.CheckConstraint(
                condition=Q(consolidated=False) | Q(recipient="firm"),
                name="billing_consolidated_needs_firm",
                violation_error_message=_("Samlingsfaktura går bara till en byrå."),
            ),
            models.CheckConstraint(
                condition=Q(period_months__in=[3, 12]), name="billing_period_3_or_12"
            ),
            models.CheckConstraint(
                condition=Q(renews_on__gt=models.F("starts_on")), name="billing_renews_after_start"
            ),
        ]
        indexes = [
            models.Index(
                fields=["firm"], condition=Q(consolidated=True), name="billing_consolidated_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription}: {self.get_recipient_display()}"
