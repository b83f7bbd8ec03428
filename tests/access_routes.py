"""The access matrix's routes (tests/test_access_matrix.py): the ones without
an object, the rule that points each other one at tenant A's objects, the
URL resolver walked for them, and those objects.

tests/test_bad_input.py, tests/test_fuzz_forms.py, tests/test_ledger_proof.py
and tests/test_security_headers.py walk the same routes with the same rules;
the `matrix` fixture (tests/conftest.py) builds the objects."""

from collections.abc import Callable, Iterator
from datetime import timedelta

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from clients.models import JoinOffer, Membership
from collaboration.access_review.models import AccessReviewRow, RemovalRequest
from collaboration.access_review.services import review_start, subscription_review_start
from collaboration.models import Coupling, FirmChange
from tests import factories
from tests.collaboration.agreement_helpers import agreement_document, ask
from tests.licensing.factories import make_invoice
from tests.world import World

# Routes without an object reference; each must still be login-protected or public.
NO_OBJECT_ROUTES = {
    "home": "login",
    "login": "public",
    "logout": "public",
    "set_language": "public",
    "collaboration:new_client": "login",
    "collaboration:consultant_search": "login",
    "collaboration:send_request": "login",
    "collaboration:client_list": "login",
    "firm_users": "login",
    "firm_seats": "login",
    "firm_add_consultant": "login",
    "clients:invite_start": "login",
    "collaboration:firm_ledger": "login",
    "collaboration:access_reviews": "login",
    "clients:invite_new": "login",
    "clients:invite_result": "login",
    "clients:invite_existing": "login",
    # The token is the credential: a wrong one is a clear "link not valid" page.
    "invitation_accept": "public",
    "invitation_renew": "public",
    "password_change": "login",
    "my_details": "login",  # the user's own account, no object in the URL
    "password_change_done": "login",
    "password_reset": "public",
    "password_reset_done": "public",
    "password_reset_confirm": "public",  # Django's single-use token is the credential
    "password_reset_complete": "public",
    "licensing:firm_invoices": "login",
    "collaboration:new_customer": "login",
    # The signed single-use link is the credential (Flow 5 acceptance).
    "collaboration:new_customer_accept": "public",
    "collaboration:collaborations": "login",
    # Flow 7, "Byte av byrå": the form (the subscription checked as "Ny
    # klient" checks it) and the list of the user's own changes.
    "collaboration:firm_change_new": "login",
    "collaboration:firm_changes": "login",
    "licensing:firm_unused_licenses": "login",
    "licensing:firm_unused_licenses_csv": "login",
    # Tvåstegsverifiering: the user's own devices, no object in the URL.
    "two_factor": "login",
    "two_factor_verify": "login",
    "two_factor_setup": "login",
    "two_factor_recovery_codes": "login",
    "two_factor_disable": "login",
    # Flow 10: the firm's own agreements and its clients' status (firm admins).
    "collaboration:firm_agreements": "login",
    "collaboration:client_agreements": "login",
    "collaboration:ask_for_confirmation": "login",
}

# name -> builds the kwargs that point at tenant A's objects.
Rule = Callable[[World, dict[str, object]], dict[str, object]]
RULES: dict[str, Rule] = {
    "collaboration:withdraw_request": lambda w, o: {"request_id": o["request"].pk},
    "collaboration:firm_collaboration": lambda w, o: {"number": w.subscription.number},
    "collaboration:approve_request": lambda w, o: {
        "number": w.subscription.number,
        "request_id": o["request"].pk,
    },
    "collaboration:reject_request": lambda w, o: {
        "number": w.subscription.number,
        "request_id": o["request"].pk,
    },
    "clients:permissions": lambda w, o: {"number": w.subscription.number},
    "clients:set_level": lambda w, o: {
        "number": w.subscription.number,
        "membership_id": w.sysadmin_membership.pk,
        "program_code": "bokforing",
    },
    "clients:set_sysadmin": lambda w, o: {
        "number": w.subscription.number,
        "membership_id": w.sysadmin_membership.pk,
    },
    "clients:add_license": lambda w, o: {
        "number": w.subscription.number,
        "program_code": "bokforing",
    },
    "clients:users": lambda w, o: {"number": w.subscription.number},
    "clients:set_end_date": lambda w, o: {
        "number": w.subscription.number,
        "membership_id": o["consultant_membership"].pk,
    },
    "clients:suspend_member": lambda w, o: {
        "number": w.subscription.number,
        "membership_id": o["consultant_membership"].pk,
    },
    "clients:resume_member": lambda w, o: {
        "number": w.subscription.number,
        "membership_id": o["consultant_membership"].pk,
    },
    "collaboration:client_detail": lambda w, o: {"number": w.subscription.number},
    "collaboration:client_add_consultant": lambda w, o: {"number": w.subscription.number},
    "firm_reinvite": lambda w, o: {"consultant_id": w.consultant.pk},
    "firm_set_seat": lambda w, o: {"consultant_id": w.consultant.pk},
    "firm_set_roles": lambda w, o: {"consultant_id": w.consultant.pk},
    "firm_assignments": lambda w, o: {"consultant_id": w.consultant.pk},
    "firm_offboard": lambda w, o: {"consultant_id": w.consultant.pk},
    "firm_offboard_csv": lambda w, o: {"consultant_id": w.consultant.pk},
    "collaboration:subscription_ledger": lambda w, o: {"number": w.subscription.number},
    "clients:invite_username": lambda w, o: {"subscription_id": o["invitable"].pk},
    "licensing:firm_invoice_pdf": lambda w, o: {"invoice_number": o["firm_invoice"].number},
    "licensing:subscription_invoices": lambda w, o: {"number": w.subscription.number},
    # Flow 5, "Samarbeten": the firm's side by client, the customer's side by subscription.
    "collaboration:collaboration_detail": lambda w, o: {"number": w.subscription.number},
    "collaboration:collaboration_licenses": lambda w, o: {"number": w.subscription.number},
    "collaboration:collaboration_plan": lambda w, o: {"number": w.subscription.number},
    "collaboration:collaboration_recipient": lambda w, o: {"number": w.subscription.number},
    "collaboration:collaboration_end": lambda w, o: {"number": w.subscription.number},
    "collaboration:subscription_change": lambda w, o: {"number": w.subscription.number},
    "collaboration:subscription_licenses": lambda w, o: {"number": w.subscription.number},
    "collaboration:subscription_plan": lambda w, o: {"number": w.subscription.number},
    "collaboration:subscription_recipient": lambda w, o: {"number": w.subscription.number},
    "collaboration:subscription_end_coupling": lambda w, o: {
        "number": w.subscription.number,
        "coupling_id": Coupling.objects.get(firm=w.firm, subscription=w.subscription).pk,
    },
    "licensing:subscription_unused_licenses": lambda w, o: {"number": w.subscription.number},
    "licensing:subscription_unused_licenses_csv": lambda w, o: {"number": w.subscription.number},
    "licensing:subscription_invoice_pdf": lambda w, o: {
        "number": w.subscription.number,
        "invoice_number": o["client_invoice"].number,
    },
    "collaboration:new_customer_done": lambda w, o: {"number": o["waiting"].number},
    "collaboration:new_customer_resend": lambda w, o: {"number": o["waiting"].number},
    "collaboration:new_customer_cancel": lambda w, o: {"number": o["waiting"].number},
    # Flow 7, "Byte av byrå": its parties only (the firms and the client's sysadmins).
    "collaboration:firm_change_detail": lambda w, o: {"change_id": o["firm_change"].pk},
    "collaboration:firm_change_approve": lambda w, o: {"change_id": o["firm_change"].pk},
    "collaboration:firm_change_refuse": lambda w, o: {"change_id": o["firm_change"].pk},
    "collaboration:firm_change_cancel": lambda w, o: {"change_id": o["firm_change"].pk},
    # Join offers: only the person asked answers; only the asking firm resends.
    "join_offer_accept": lambda w, o: {"offer_id": o["offer"].pk},
    "join_offer_decline": lambda w, o: {"offer_id": o["offer"].pk},
    "firm_resend_offer": lambda w, o: {"offer_id": o["consultant_offer"].pk},
    # "Återkalla inbjudan": only the asking firm (its admins; for a client
    # user, its seated consultants where it is sysadmin).
    "firm_withdraw_offer": lambda w, o: {"offer_id": o["consultant_offer"].pk},
    "clients:withdraw_offer": lambda w, o: {"offer_id": o["offer"].pk},
    # "Åtkomstgranskning": the firm's reviews (its admins and named
    # reviewers), the subscription's own (its sysadmins), the requested change.
    "collaboration:access_review": lambda w, o: {"review_id": o["review"].pk},
    "collaboration:access_review_row": lambda w, o: {
        "review_id": o["review"].pk,
        "row_id": o["review_row"].pk,
    },
    "collaboration:access_review_bulk": lambda w, o: {"review_id": o["review"].pk},
    "collaboration:access_review_reviewer": lambda w, o: {"review_id": o["review"].pk},
    "collaboration:access_review_complete": lambda w, o: {"review_id": o["review"].pk},
    "collaboration:access_review_pdf": lambda w, o: {"review_id": o["review"].pk},
    "collaboration:access_review_csv": lambda w, o: {"review_id": o["review"].pk},
    "collaboration:subscription_access_reviews": lambda w, o: {"number": w.subscription.number},
    "collaboration:subscription_access_review": lambda w, o: {
        "number": w.subscription.number,
        "review_id": o["subscription_review"].pk,
    },
    "collaboration:subscription_access_review_row": lambda w, o: {
        "number": w.subscription.number,
        "review_id": o["subscription_review"].pk,
        "row_id": o["subscription_review_row"].pk,
    },
    "collaboration:subscription_access_review_complete": lambda w, o: {
        "number": w.subscription.number,
        "review_id": o["subscription_review"].pk,
    },
    "collaboration:subscription_access_review_pdf": lambda w, o: {
        "number": w.subscription.number,
        "review_id": o["subscription_review"].pk,
    },
    "collaboration:subscription_access_review_csv": lambda w, o: {
        "number": w.subscription.number,
        "review_id": o["subscription_review"].pk,
    },
    "collaboration:access_removal_answer": lambda w, o: {
        "number": w.subscription.number,
        "removal_id": o["removal"].pk,
    },
    # Flow 10: firm A's agreement, and S's confirmation of it (either side may
    # download; nobody else).
    "collaboration:firm_agreement_document": lambda w, o: {"document_id": o["agreement"].pk},
    "collaboration:subscription_agreements": lambda w, o: {"number": w.subscription.number},
    "collaboration:confirmation_document": lambda w, o: {
        "confirmation_id": o["agreement_confirmation"].pk
    },
    "collaboration:confirmation_certificate": lambda w, o: {
        "confirmation_id": o["agreement_confirmation"].pk
    },
    # Flow 8, the sender's reminders: only the firm that sent it.
    "collaboration:remind_request": lambda w, o: {"request_id": o["request"].pk},
    "collaboration:send_request_again": lambda w, o: {"request_id": o["request"].pk},
    "collaboration:dismiss_request": lambda w, o: {"request_id": o["request"].pk},
    "collaboration:remind_offer": lambda w, o: {"offer_id": o["consultant_offer"].pk},
    "collaboration:remind_client_offer": lambda w, o: {"offer_id": o["offer"].pk},
    "collaboration:remind_welcome": lambda w, o: {"number": o["waiting"].number},
}


def _walk(patterns: list, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:  # type: ignore[type-arg]
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue  # test_access_matrix.py: test_admin_is_for_staff_only
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _walk(entry.url_patterns, namespace)
        elif entry.name:
            yield f"{prefix}{entry.name}", entry


def all_routes() -> list[tuple[str, URLPattern]]:
    return list(_walk(get_resolver().url_patterns))


def matrix_objects(world: World) -> dict[str, object]:
    """Tenant A's objects: a pending request from firm A to S, firm A coupled
    to S with its consultant a member."""
    request = factories.CollaborationRequestFactory(
        firm=world.firm, subscription=world.subscription, responsible_consultant=world.consultant
    )
    factories.LicenseFactory(subscription=world.subscription, seats=3)
    # A client of firm A where firm A is sysadmin and which has no own users.
    invitable = factories.CouplingFactory(firm=world.firm).subscription
    Membership.objects.create(
        subscription_id=invitable.pk,
        user=world.consultant.user,
        consultant=world.consultant,
        is_sysadmin=True,
    )
    # Firm A's consultant in S, whose access S's sysadmin may time-box or pause.
    factories.CouplingFactory(firm=world.firm, subscription=world.subscription)
    consultant_membership = Membership.objects.create(
        subscription=world.subscription, user=world.consultant.user, consultant=world.consultant
    )
    now = timezone.now()
    # A third firm asks to take S over from firm A ("Byte av byrå").
    third = factories.ConsultantFactory()
    firm_change = FirmChange.objects.create(
        subscription=world.subscription,
        new_firm=third.firm,
        old_firm=world.firm,
        old_coupling=Coupling.objects.get(firm=world.firm, subscription=world.subscription),
        responsible_consultant=third,
        requested_by=third.user,
        expires_at=now + timedelta(days=30),
    )
    agreement = agreement_document(world)
    return {
        "firm_change": firm_change,
        **access_review_objects(world),
        "agreement": agreement,
        "agreement_confirmation": ask(
            agreement,
            world.subscription.pk,
            status="confirmed",
            confirmed_at=now,
            confirmed_by=world.sysadmin,
        ),
        # Firm A asks S's sysadmin to join one of its clients, and someone to
        # join the firm.
        "offer": JoinOffer.objects.create(
            user=world.sysadmin,
            kind=JoinOffer.Kind.CLIENT_USER,
            firm=world.firm,
            subscription=invitable,
            invited_by=world.firm_admin.user,
            sent_at=now,
        ),
        "consultant_offer": JoinOffer.objects.create(
            user=factories.UserFactory(),
            kind=JoinOffer.Kind.CONSULTANT,
            firm=world.firm,
            invited_by=world.firm_admin.user,
            sent_at=now,
        ),
        "request": request,
        "invitable": invitable,
        "consultant_membership": consultant_membership,
        # Firm A's own invoice, and S's invoice to its client.
        "firm_invoice": make_invoice(firm=world.firm),
        "client_invoice": make_invoice(subscription=world.subscription),
        # A new customer firm A created, awaiting the customer's acceptance.
        "waiting": factories.CouplingFactory(
            firm=world.firm,
            subscription__status="pending",
            status=Coupling.Status.AWAITING_CUSTOMER,
            responsible_consultant=world.consultant,
            activated_at=None,
        ).subscription,
    }


def access_review_objects(world: World) -> dict[str, object]:
    """Firm A's review (its consultant's rows), S's own review by its
    sysadmin, and a change firm A asked of S's sysadmins."""
    review = review_start(firm_id=world.firm.pk, actor=world.firm_admin.user)
    row = AccessReviewRow.objects.filter(review=review, subscription=world.subscription).first()
    own = subscription_review_start(subscription=world.subscription, actor=world.sysadmin)
    return {
        "review": review,
        "review_row": row,
        "subscription_review": own,
        "subscription_review_row": AccessReviewRow.objects.filter(review=own).first(),
        "removal": RemovalRequest.objects.create(
            row=row,
            firm=world.firm,
            subscription=world.subscription,
            user=world.consultant.user,
            membership_id=row.membership_id,  # type: ignore[union-attr]
            decision="remove",
        ),
    }
