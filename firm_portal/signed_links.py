"""Signed links: every link that stands for one row and may be used once.

Two kinds today: an invitation to choose a first password (`INVITATION`,
firm_portal/invitations/) and a new customer's acceptance of a collaboration
(`ACCEPTANCE`, collaboration/new_customer/). A token is Django's signed value
of the row's id and its nonce, salted per kind, so a token of one kind never
reads as another. The row's nonce changes when the link is used or replaced,
which voids every earlier link (as contrib.auth's password-reset tokens hash
state that changes when used); expiry is the row's `expires_at`. The salts
and payloads are the ones the links already sent were made with, so those
keep working.

Checking a token is `link_read` (signature, payload) and `link_problem` (used
or replaced, expired); each kind adds its own reasons (an invitation
withdrawn, a collaboration cancelled). Every refusal is one page,
`signed_link_invalid.html`, through `link_invalid_response`.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import constant_time_compare


@dataclass(frozen=True)
class LinkKind:
    name: str
    salt: str
    id_key: str  # the row id's key in the signed payload


INVITATION = LinkKind("invitation", salt="firm_portal.invitation", id_key="i")
ACCEPTANCE = LinkKind("acceptance", salt="collaboration.customer_acceptance", id_key="a")


class Problem:
    """Why a link does not open (the page shows one message per reason)."""

    INVALID = "invalid"  # not a link of this kind, or its row is gone
    EXPIRED = "expired"
    USED = "used"  # used, or replaced by a newer link
    WITHDRAWN = "withdrawn"  # an invitation its issuer withdrew
    CANCELLED = "cancelled"  # a collaboration the firm cancelled
    ENDED = "ended"  # an invitation of someone their firm has ended
    LOG_IN_FIRST = "log_in_first"
    WRONG_USER = "wrong_user"


@dataclass(frozen=True)
class LinkRef:
    """What a valid signature says: the row and the nonce the link was made with."""

    pk: int
    nonce: str


def link_token(kind: LinkKind, *, pk: int, nonce: str) -> str:
    return signing.dumps({kind.id_key: pk, "n": nonce}, salt=kind.salt)


def link_read(kind: LinkKind, token: str) -> LinkRef | None:
    """The row and nonce of a token of this kind; None when it is not one
    (tampered, cut short, or another kind's)."""
    try:
        data = signing.loads(token, salt=kind.salt)
        return LinkRef(int(data[kind.id_key]), str(data["n"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def link_problem(ref: LinkRef, *, nonce: str, used: bool, expires_at: datetime) -> str:
    """ "used" when the row's link was used or replaced since (its nonce
    changed), "expired" when its time is up, "" when it still opens."""
    if used or not ref.nonce or not constant_time_compare(ref.nonce, nonce):
        return Problem.USED
    if expires_at <= timezone.now():
        return Problem.EXPIRED
    return ""


PROBLEM_STATUS = {Problem.INVALID: 404, Problem.WRONG_USER: 403, Problem.LOG_IN_FIRST: 403}


def link_invalid_response(
    request: HttpRequest, *, kind: LinkKind, problem: str, **context: Any
) -> HttpResponse:
    """The one page for a link that does not open: 404 for a link that is
    not one, 403 for the wrong or a logged-out account, 410 for the rest."""
    return render(
        request,
        "signed_link_invalid.html",
        {"kind": kind.name, "problem": problem, **context},
        status=PROBLEM_STATUS.get(problem, 410),
    )
