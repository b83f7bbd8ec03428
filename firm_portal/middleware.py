import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _


class ChosenLanguageMiddleware:
    """Swedish unless the person chose English with the language switcher.

    Unlike LocaleMiddleware this ignores Accept-Language: the product is
    Swedish, and many Swedish accountants run English browsers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class PrivateNoStoreMiddleware:
    """`Cache-Control: private, no-store` on every response the app makes.

    Logged-in pages and every export (CSV, PDF) hold personal data; the pages
    anyone may open carry a CSRF token or the personal data behind a
    single-use link (invitations, password reset, the customer's acceptance).
    None may be kept by a shared cache or on the disk of a shared computer,
    where the back button would show them after logout. Static files are
    served before this runs (whitenoise) and stay cacheable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_cache_control(response, private=True, no_store=True)
        return response


class SessionTimeoutMiddleware:
    """End a session after SESSION_IDLE_SECONDS without a request, and
    SESSION_COOKIE_AGE after login whatever happens in between (the cookie's
    own max-age is reset when the session is saved, so it cannot do this)."""

    TOUCH_EVERY_SECONDS = 60  # write the session at most once a minute

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.get("started_at", now)
            seen = session.get("seen_at", now)
            if (
                now - seen > settings.SESSION_IDLE_SECONDS
                or now - started > settings.SESSION_COOKIE_AGE
            ):
                logout(request)
                messages.info(
                    request, _("Du har loggats ut eftersom sessionen gick ut. Logga in igen.")
                )
                return redirect_to_login(request.get_full_path())
            if now - seen >= self.TOUCH_EVERY_SECONDS or "started_at" not in session:
                session["seen_at"] = now
                session.setdefault("started_at", now)
        return self.get_response(request)


def stamp_session_on_login(
    sender: object, request: HttpRequest, user: object, **kwargs: object
) -> None:
    """Start both clocks at login, so requests in the next minute write nothing."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session["started_at"] = now
        request.session["seen_at"] = now
