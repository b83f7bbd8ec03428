from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def navigation(request: HttpRequest) -> dict[str, object]:
    """Which parts of the navigation the logged-in person sees."""
    from firm_portal.selectors import consultant_for_user
    from firm_portal.two_factor import services

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        # Lazy: fragments and pages that never show the navigation cost no query.
        "current_consultant": SimpleLazyObject(lambda: consultant_for_user(user=user)),
        # Before the code step (or setting up an app) every link leads back to
        # it (two_factor.middleware.TwoFactorMiddleware): base.html shows no menu then.
        "two_factor_pending": request.session.get(services.STATE_KEY)
        in (services.VERIFY, services.SETUP),
    }
