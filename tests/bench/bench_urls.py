"""The app's URLs plus three floors for `make bench`: a bare view returning a
short constant response, a bare template rendering 50 rows of one table, and
the app's own layout (base.html) with nothing in it, for a logged-in user.
Every page's cost is reported relative to the second; the third shows how
much of it any logged-in page pays before its own content."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path
from django.views.decorators.http import require_GET

from clients.models import Client


@require_GET
def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


@require_GET
def rows50(request: HttpRequest) -> HttpResponse:
    clients = Client.objects.order_by("pk").only("name", "org_number", "created_at")[:50]
    return render(request, "bench/rows50.html", {"clients": clients})


@login_required
@require_GET
def empty_layout(request: HttpRequest) -> HttpResponse:
    return render(request, "bench/empty_layout.html")


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("bench/rows50/", rows50, name="bench_rows50"),
    path("bench/layout/", empty_layout, name="bench_layout"),
    path("", include("firm_portal.urls")),
]
