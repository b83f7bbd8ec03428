"""Tvåstegsverifiering: the code step after the password, setting up an app,
recovery codes, and turning it off (when the user's role allows)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from firm_portal.http import AuthenticatedHttpRequest, next_url
from firm_portal.two_factor import services


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Verifieringskod"),
        help_text=gettext_lazy("Engångskod från din app, eller en av dina reservkoder."),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
        error_messages={"required": gettext_lazy("Ange koden.")},
    )


class AppCodeForm(CodeForm):
    code = forms.CharField(
        label=gettext_lazy("Verifieringskod"),
        help_text=gettext_lazy("Engångskod från din app: sex siffror."),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        error_messages={"required": gettext_lazy("Ange koden.")},
    )


def _code_error(form: forms.Form, check: services.CodeCheck) -> None:
    if check.throttled:
        form.add_error(
            "code", _("För många felaktiga koder i rad. Vänta en stund och försök igen.")
        )
    else:
        form.add_error("code", _("Koden stämmer inte. Försök igen."))


@require_http_methods(["GET", "POST"])
@login_required
def verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The second step of the login: an app code or a recovery code."""
    if request.session.get(services.STATE_KEY) != services.VERIFY:
        return redirect(next_url(request, fallback="home"))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = services.two_factor_code_check(user=request.user, code=form.cleaned_data["code"])
        if check.device is not None:
            services.session_mark_verified(request, check.device)
            if check.used_recovery_code:
                messages.warning(
                    request,
                    _(
                        "Du loggade in med en reservkod. Den går inte att använda igen; "
                        "du har %(count)s kvar."
                    )
                    % {"count": services.two_factor_recovery_codes_left(user=request.user)},
                )
            return redirect(next_url(request, fallback="home"))
        _code_error(form, check)
    return render(
        request,
        "firm_portal/two_factor_verify.html",
        {"form": form, "next": next_url(request, fallback="home")},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Scan the QR code (or type the secret), confirm with a first code, get
    the recovery codes."""
    if services.two_factor_app_device(user=request.user) is not None:
        return _already_set_up(request)
    # The secret shown belongs to this session's setup only (see
    # two_factor_setup_begin); a reload shows the same one.
    device = services.session_setup_device(request, request.user)
    form = AppCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = _setup_confirm(request, form, device)
        if confirmed is not None:
            return confirmed
    if device is None:
        device = services.session_setup_begin(request, request.user)
    return render(
        request,
        "firm_portal/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": services.totp_qr_svg(device),
            "secret": services.totp_secret_for_display(device),
            "required": services.two_factor_required(user=request.user),
            "next": next_url(request, fallback="home"),
        },
        status=422 if form.errors else 200,
    )


def _already_set_up(request: AuthenticatedHttpRequest) -> HttpResponse:
    request.session.pop(services.SETUP_DEVICE_KEY, None)
    if request.session.get(services.STATE_KEY) == services.SETUP:
        # Set up in another session while this one still had to: this
        # session now needs a code. (The overview would send it back to
        # setup, and setup back to the overview, without end.)
        services.session_state_refresh(request, request.user)
        messages.info(
            request,
            _(
                "Tvåstegsverifiering har slagits på i ett annat fönster eller på en "
                "annan enhet. Ange koden från appen för att fortsätta."
            ),
        )
        query = urlencode({"next": next_url(request, fallback="home")})
        return redirect(f"{reverse('two_factor_verify')}?{query}")
    messages.info(request, _("Tvåstegsverifiering är redan på."))
    return redirect("two_factor")


def _setup_confirm(
    request: AuthenticatedHttpRequest, form: AppCodeForm, device: TOTPDevice | None
) -> HttpResponse | None:
    """The first code confirms the device (then on to the recovery codes);
    None with the form's error otherwise."""
    if device is None:
        form.add_error(
            "code",
            _(
                "Inställningen har startats om, kanske i ett annat fönster. Skanna den "
                "nya QR-koden nedan och skriv in koden som appen visar."
            ),
        )
        return None
    check = services.two_factor_confirm_app(
        user=request.user, device=device, code=form.cleaned_data["code"]
    )
    if check.device is None:
        _code_error(form, check)
        return None
    codes = services.two_factor_recovery_codes_replace(user=request.user)
    services.session_mark_verified(request, device)
    request.session.pop(services.SETUP_DEVICE_KEY, None)
    request.session[services.NEW_CODES_KEY] = codes
    messages.success(request, _("Tvåstegsverifiering är på."))
    query = urlencode({"next": next_url(request, fallback="home")})
    return redirect(f"{reverse('two_factor_recovery_codes')}?{query}")


@require_GET
@login_required
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Tvåstegsverifiering" in the user's own settings."""
    return render(
        request,
        "firm_portal/two_factor.html",
        {
            "device": services.two_factor_app_device(user=request.user),
            "required": services.two_factor_required(user=request.user),
            "codes_left": services.two_factor_recovery_codes_left(user=request.user),
            "form": CodeForm(),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def recovery_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET shows freshly made codes once; POST makes new ones (the old stop
    working). Needs a session verified with a code."""
    if request.method == "POST":
        if services.two_factor_app_device(
            user=request.user
        ) is None or not services.session_is_verified(request):
            messages.error(request, _("Slå på tvåstegsverifiering först."))
            return redirect("two_factor")
        request.session[services.NEW_CODES_KEY] = services.two_factor_recovery_codes_replace(
            user=request.user
        )
        messages.success(request, _("Nya reservkoder är skapade. De gamla gäller inte längre."))
        return redirect("two_factor_recovery_codes")
    codes = request.session.pop(services.NEW_CODES_KEY, None)
    if not codes:
        return redirect("two_factor")
    return render(
        request,
        "firm_portal/two_factor_codes.html",
        {"codes": codes, "next": next_url(request, fallback="two_factor")},
    )


@require_POST
@login_required
def disable(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Stäng av tvåstegsverifiering", confirmed with a current code."""
    if services.two_factor_required(user=request.user):
        messages.error(
            request, _("Tvåstegsverifiering krävs för din roll och kan inte stängas av.")
        )
        return redirect("two_factor")
    device = services.two_factor_app_device(user=request.user)
    if device is None:
        return redirect("two_factor")
    form = CodeForm(request.POST)
    if form.is_valid():
        check = services.two_factor_code_check(user=request.user, code=form.cleaned_data["code"])
        if check.device is not None:
            services.two_factor_disable(user=request.user)
            services.session_mark_optional(request)
            messages.success(request, _("Tvåstegsverifiering är avstängd."))
            return redirect("two_factor")
        _code_error(form, check)
    return render(
        request,
        "firm_portal/two_factor.html",
        {
            "device": device,
            "required": False,
            "codes_left": services.two_factor_recovery_codes_left(user=request.user),
            "form": form,
        },
        status=422,
    )
