"""firm_portal/signed_links.py: one way to make and read every single-use link."""

from datetime import timedelta

from django.core import signing
from django.utils import timezone

from firm_portal.signed_links import (
    ACCEPTANCE,
    INVITATION,
    LinkRef,
    Problem,
    link_problem,
    link_read,
    link_token,
)


def test_a_token_reads_back_as_its_row_and_nonce() -> None:
    token = link_token(INVITATION, pk=42, nonce="abc")
    assert link_read(INVITATION, token) == LinkRef(42, "abc")


def test_links_sent_before_the_module_keep_working() -> None:
    """The salts and payloads are the ones the two kinds used before."""
    invitation = signing.dumps({"i": 7, "n": "x1"}, salt="firm_portal.invitation")
    acceptance = signing.dumps({"a": 8, "n": "y2"}, salt="collaboration.customer_acceptance")
    assert link_read(INVITATION, invitation) == LinkRef(7, "x1")
    assert link_read(ACCEPTANCE, acceptance) == LinkRef(8, "y2")
    assert link_token(INVITATION, pk=7, nonce="x1").split(":")[0] == invitation.split(":")[0]


def test_a_tampered_token_or_another_kinds_is_not_a_link() -> None:
    token = link_token(ACCEPTANCE, pk=1, nonce="n")
    assert link_read(ACCEPTANCE, token[:-2] + "xx") is None
    assert link_read(INVITATION, token) is None
    assert link_read(ACCEPTANCE, "not-a-token") is None
    # Signed with the right salt but without the id of this kind.
    assert link_read(ACCEPTANCE, signing.dumps({"i": 1, "n": "n"}, salt=ACCEPTANCE.salt)) is None


def test_used_replaced_and_expired_links_do_not_open() -> None:
    later = timezone.now() + timedelta(days=1)
    ref = LinkRef(1, "current")
    assert link_problem(ref, nonce="current", used=False, expires_at=later) == ""
    assert link_problem(ref, nonce="current", used=True, expires_at=later) == Problem.USED
    assert link_problem(ref, nonce="newer", used=False, expires_at=later) == Problem.USED
    assert link_problem(LinkRef(1, ""), nonce="", used=False, expires_at=later) == Problem.USED
    past = timezone.now() - timedelta(seconds=1)
    assert link_problem(ref, nonce="current", used=False, expires_at=past) == Problem.EXPIRED
