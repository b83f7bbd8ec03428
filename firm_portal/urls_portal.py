from django.contrib.auth import views as auth_views
from django.urls import include, path

from firm_portal import views
from firm_portal.tokens import password_reset_tokens

urlpatterns = [
    path("", views.home, name="home"),
    path("logga-in/", views.LoginView.as_view(), name="login"),
    path("logga-ut/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("firm_portal.two_factor.urls")),
    path(
        "losenord/byt/",
        auth_views.PasswordChangeView.as_view(template_name="firm_portal/auth_form.html"),
        name="password_change",
    ),
    path(
        "losenord/byt/klart/",
        auth_views.PasswordChangeDoneView.as_view(template_name="firm_portal/auth_message.html"),
        name="password_change_done",
    ),
    path(
        "losenord/aterstall/",
        auth_views.PasswordResetView.as_view(
            template_name="firm_portal/auth_form.html",
            form_class=views.PasswordResetForm,
            token_generator=password_reset_tokens,
        ),
        name="password_reset",
    ),
    path(
        "losenord/aterstall/skickat/",
        auth_views.PasswordResetDoneView.as_view(template_name="firm_portal/auth_message.html"),
        name="password_reset_done",
    ),
    path(
        "losenord/aterstall/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="firm_portal/auth_form.html",
            token_generator=password_reset_tokens,
            form_class=views.PasswordResetSetForm,
        ),
        name="password_reset_confirm",
    ),
    path(
        "losenord/aterstall/klart/",
        auth_views.PasswordResetCompleteView.as_view(template_name="firm_portal/auth_message.html"),
        name="password_reset_complete",
    ),
    path("mina-uppgifter/", views.my_details, name="my_details"),
    path("inbjudan/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("inbjudan/<str:token>/ny-lank/", views.invitation_renew, name="invitation_renew"),
    path("inbjudningar/<int:offer_id>/ga-med/", views.join_offer_accept, name="join_offer_accept"),
    path("inbjudningar/<int:offer_id>/avboj/", views.join_offer_decline, name="join_offer_decline"),
    path("", include("firm_portal.firm_users.urls")),
    path("", include("clients.offboarding.urls")),
]
