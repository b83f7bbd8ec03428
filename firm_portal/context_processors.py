from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, object]:
    """Which parts of the navigation the logged-in person sees."""
    from firm_portal.selectors import consultant_for_user

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"current_consultant": consultant_for_user(user=user)}
