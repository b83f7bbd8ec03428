"""Django admin for the access ledger and the denied attempts: read-only for
everyone (support reads them; nobody, not even a superuser, adds, changes or
deletes through admin).

The ledger keeps who, to whom, which firm and which subscription as plain ids
(it sits below every app, README "Layers"). The names shown here are
subqueries of the one changelist query, and a search looks the ids up first:
an e-mail address (actor or subject), an organisationsnummer however it is
typed (client or firm) or an abonnemangsnummer."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import CharField, F, Model, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Subscription
from firm_portal.admin_readonly import ReadOnlyAdminMixin
from firm_portal.models import Firm, User
from firm_portal.org_numbers import normalize_org_number
from ledger.models import AccessEvent, DeniedAttempt

# As the foreign keys showed them: str(user), str(subscription), str(firm).
USER_TEXT = Concat(F("full_name"), Value(" <"), F("email"), Value(">"), output_field=CharField())
SUBSCRIPTION_TEXT = Concat(
    Cast("number", CharField()), Value(" – "), F("client__name"), output_field=CharField()
)


def _text(model: type[Model], ref: str, text: Any) -> Subquery:
    rows = model._default_manager.filter(pk=OuterRef(ref)).annotate(text=text)
    return Subquery(rows.values("text")[:1])


def _org_numbers(term: str) -> Q:
    """An organisationsnummer as typed, or normalized (firm_portal.admin_search)."""
    condition = Q(org_number__icontains=term)
    try:
        return condition | Q(org_number=normalize_org_number(term))
    except ValidationError:
        return condition


def _subscriptions(term: str) -> QuerySet[Any]:
    condition = Q(client__in=Client.objects.filter(_org_numbers(term)))
    if term.isdigit():
        condition |= Q(number=int(term))
    return Subscription.objects.filter(condition).values("pk")


class _LedgerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    show_full_result_count = False
    # Not empty, so admin shows its search box; `get_search_results` answers it.
    search_fields = ("pk",)

    def matching(self, term: str) -> Q:
        users = User.objects.filter(email__icontains=term).values("pk")
        return Q(actor_id__in=users) | Q(subscription_id__in=_subscriptions(term))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(self.matching(term)), False

    @admin.display(description=_("utförd av"))
    def actor(self, obj: Any) -> str:
        return obj.actor_text or "-"

    @admin.display(description="subscription")
    def subscription(self, obj: Any) -> str:
        return obj.subscription_text or "-"


@admin.register(AccessEvent)
class AccessEventAdmin(_LedgerAdmin):
    """The access ledger is append-only."""

    list_display = ("occurred_at", "kind", "actor", "subject", "firm", "subscription", "detail")
    list_filter = ("kind", "occurred_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessEvent]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                actor_text=_text(User, "actor_id", USER_TEXT),
                subject_text=_text(User, "subject_id", USER_TEXT),
                firm_text=_text(Firm, "firm_id", F("name")),
                subscription_text=_text(Subscription, "subscription_id", SUBSCRIPTION_TEXT),
            )
        )

    def matching(self, term: str) -> Q:
        users = User.objects.filter(email__icontains=term).values("pk")
        firms = Firm.objects.filter(_org_numbers(term)).values("pk")
        return super().matching(term) | Q(subject_id__in=users) | Q(firm_id__in=firms)

    @admin.display(description=_("gäller"))
    def subject(self, obj: Any) -> str:
        return obj.subject_text or "-"

    @admin.display(description="firm")
    def firm(self, obj: Any) -> str:
        return obj.firm_text or "-"


@admin.register(DeniedAttempt)
class DeniedAttemptAdmin(_LedgerAdmin):
    """Denied attempts per actor, subscription and window, with their count
    (the ledger has one event per row): read-only, like the ledger."""

    list_display = ("window_start", "actor", "subscription", "attempts", "last_at", "event")
    list_select_related = ("event",)
    date_hierarchy = "window_start"

    def get_queryset(self, request: HttpRequest) -> QuerySet[DeniedAttempt]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                actor_text=_text(User, "actor_id", USER_TEXT),
                subscription_text=_text(Subscription, "subscription_id", SUBSCRIPTION_TEXT),
            )
        )
