"""The price list and reseller agreements."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.models import Plan
from firm_portal.request_data import validate_date_in_range

# --- Billing: price list, who pays, invoices ---------------------------------
# Services in licensing/billing/__init__.py; the rules (days, pro rata, rounding) are
# documented there. Amounts are kronor excluding VAT, two decimals (öre).


def _overlapping_periods[M: models.Model](
    queryset: models.QuerySet[M], *, valid_from: date, valid_to: date | None
) -> models.QuerySet[M]:
    """Rows of `queryset` whose [valid_from, valid_to] (inclusive, open-ended
    when valid_to is empty) meets the given period."""
    overlapping = queryset.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
    if valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_to)
    return overlapping


class PricePeriod(models.Model):
    """A monthly price with a validity period. A new price is a new row (end
    the old one the day before): invoices copy unit prices as numbers, so no
    change here rewrites an issued invoice. Periods of the same key
    (`period_key`) must not overlap; `clean()` says so in admin and, on
    PostgreSQL, an exclusion constraint (migration 0005) makes sure."""

    period_key: tuple[str, ...] = ()

    list_price = models.DecimalField(
        _("listpris"), max_digits=10, decimal_places=2, help_text=_("Kronor per månad exkl. moms.")
    )
    reseller_price = models.DecimalField(
        _("återförsäljarpris"),
        max_digits=10,
        decimal_places=2,
        help_text=_("Kronor per månad exkl. moms, för byråer med återförsäljaravtal."),
    )
    valid_from = models.DateField(_("gäller från och med"), validators=[validate_date_in_range])
    valid_to = models.DateField(
        _("gäller till och med"),
        null=True,
        blank=True,
        help_text=_("Tomt: tills vidare."),
        validators=[validate_date_in_range],
    )

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="%(class)s_period_ends_after_start",
                violation_error_message=_("Slutdatumet kan inte vara före startdatumet."),
            ),
            models.CheckConstraint(
                condition=Q(list_price__gte=0) & Q(reseller_price__gte=0),
                name="%(class)s_prices_not_negative",
                violation_error_message=_("Priser kan inte vara negativa."),
            ),
            models.CheckConstraint(
                condition=Q(reseller_price__lte=models.F("list_price")),
                name="%(class)s_reseller_not_above_list",
                violation_error_message=_("Återförsäljarpriset kan inte vara högre än listpriset."),
            ),
        ]

    def clean(self) -> None:
        super().clean()
        key = {name: getattr(self, name) for name in self.period_key}
        if self.valid_from is None or any(value in (None, "") for value in key.values()):
            return  # the field errors already say what is missing
        others = type(self)._default_manager.filter(**key).exclude(pk=self.pk)
        clash = (
            _overlapping_periods(others, valid_from=self.valid_from, valid_to=self.valid_to)
            .order_by("valid_from")
            .first()
        )
        if clash is not None:
            until = clash.valid_to.isoformat() if clash.valid_to else _("tills vidare")
            raise ValidationError(
                _(
                    "Perioden överlappar ett annat pris för samma sak (%(start)s – %(end)s). "
                    "Avsluta det andra priset dagen före, eller ändra datumen."
                )
                % {"start": clash.valid_from.isoformat(), "end": until},
                code="overlap",
            )

    def price(self, *, reseller: bool) -> Decimal:
        return self.reseller_price if reseller else self.list_price


class PlanPrice(PricePeriod):
    """The monthly base price of a subscription on a plan ("Grundavgift")."""

    period_key = ("plan",)

    plan = models.CharField(_("variant"), max_length=20, choices=Plan.choices)

    class Meta(PricePeriod.Meta):
        verbose_name = _("grundavgift")
        verbose_name_plural = _("grundavgifter")
        ordering = ["plan", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.get_plan_display()} {self.valid_from}"


class ProgramPrice(PricePeriod):
    """The monthly price of one licence of a program on a plan."""

    period_key = ("plan", "program_id")

    plan = models.CharField(_("variant"), max_length=20, choices=Plan.choices)
    program = models.ForeignKey(
        "clients.Program", on_delete=models.PROTECT, related_name="+", verbose_name=_("program")
    )

    class Meta(PricePeriod.Meta):
        verbose_name = _("licenspris")
        verbose_name_plural = _("licenspriser")
        ordering = ["plan", "program__sort_order", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.get_plan_display()} {self.program_id} {self.valid_from}"


class ClientManagerSeatPrice(PricePeriod):
    """The monthly price of one client-manager seat (a firm's "licens för
    Klienthanteraren")."""

    class Meta(PricePeriod.Meta):
        verbose_name = _("pris för licens i Klienthanteraren")
        verbose_name_plural = _("priser för licenser i Klienthanteraren")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"Klienthanteraren {self.valid_from}"


class ResellerAgreement(models.Model):
    """ "Återförsäljaravtal": lets a firm take its customers' invoices on a
    Samlingsfaktura at reseller prices, on the days it is valid."""

    firm = models.ForeignKey(
        "firm_portal.Firm",
        on_delete=models.PROTECT,
        related_name="reseller_agreements",
        verbose_name=_("byrå"),
    )
    reference = models.CharField(_("avtalsnummer"), max_length=50, blank=True)
    valid_from = models.DateField(_("gäller från och med"), validators=[validate_date_in_range])
    valid_to = models.DateField(
        _("gäller till och med"),
        null=True,
        blank=True,
        help_text=_("Tomt: tills vidare."),
        validators=[validate_date_in_range],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("återförsäljaravtal")
        verbose_name_plural = _("återförsäljaravtal")
        ordering = ["firm", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="reseller_agreement_ends_after_start",
                violation_error_message=_("Slutdatumet kan inte vara före startdatumet."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.firm} {self.valid_from}–{self.valid_to or ''}"

    def clean(self) -> None:
        super().clean()
        if self.firm_id is None or self.valid_from is None:
            return
        others = ResellerAgreement.objects.filter(firm_id=self.firm_id).exclude(pk=self.pk)
        if _overlapping_periods(
            others, valid_from=self.valid_from, valid_to=self.valid_to
        ).exists():
            raise ValidationError(
                _("Byrån har redan ett återförsäljaravtal som gäller under en del av perioden."),
                code="overlap",
            )

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)
