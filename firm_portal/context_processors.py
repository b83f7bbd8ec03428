from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def navigation(request: HttpRequest) -> dict[str, object]:
    """Which parts of the navigation the logged-in person sees."""
    from firm_portal.selectors import consultant_for_user

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: fragments and pages that never show the navigation cost no query.
    return {"current_consultant": SimpleLazyObject(lambda: consultant_for_user(user=user))}
