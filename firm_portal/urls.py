from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Browsers ask for /favicon.ico on pages that do not link one (Django
    # admin, PDFs); layout.html links the same file.
    path(
        "favicon.ico",
        RedirectView.as_view(
            url=lazy(static, str)("favicon.ico"), http_method_names=["get", "head"]
        ),
    ),
    path("", include("firm_portal.urls_portal")),
    path("", include("collaboration.urls")),
    path("", include("clients.urls")),
    path("", include("licensing.urls")),
]
