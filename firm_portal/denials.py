"""Firm pages answer 404 to anyone without a consultant role: `require_consultant`
(firm_portal/selectors.py) raises `NotAConsultant`, and the middleware in
clients/middleware.py logs the attempt when the URL names a subscription."""

from django.http import Http404


class NotAConsultant(Http404):
    pass
