"""The app's URLs plus two floors for `make bench`: a bare view returning a
short constant response, and a bare template rendering 50 rows of one table.
Every page's cost is reported relative to the second."""

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


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("bench/rows50/", rows50, name="bench_rows50"),
    path("", include("firm_portal.urls")),
]
