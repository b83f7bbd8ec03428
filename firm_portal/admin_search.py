"""Support's searches in Django admin find an organisationsnummer however it
is typed: 5561417071, 556141-7071, 16556141-7071 or 165561417071 all find
the stored 556141-7071 (the same rule as "Ny klient",
`firm_portal.org_numbers.normalize_org_number`)."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from firm_portal.org_numbers import normalize_org_number

ORG_NUMBER_FIELDS = frozenset({"org_number", "recipient_org_number", "customer_org_number"})


def org_number_paths(search_fields: Any) -> list[str]:
    """The search fields that hold an organisationsnummer, without their
    lookup prefix ("=", "^", "@")."""
    paths = (field.lstrip("=^@") for field in search_fields)
    return [path for path in paths if path.split("__")[-1] in ORG_NUMBER_FIELDS]


class OrgNumberSearchMixin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Adds an exact match on the normalized organisationsnummer to Django's
    own search (which stays as it was for names, e-mail addresses etc.)."""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        paths = org_number_paths(self.get_search_fields(request))
        if not paths or not search_term.strip():
            return results, may_have_duplicates
        try:
            normalized = normalize_org_number(search_term)
        except ValidationError:
            return results, may_have_duplicates
        condition = Q()
        for path in paths:
            condition |= Q(**{path: normalized})
        # A path through a reverse relation can match a row more than once.
        return results | queryset.filter(condition), True
