"""Writes for Flow 10: uploading a firm's agreement (a new version each
time), attaching the firm's current agreements to a request or a new
customer, asking existing clients to confirm (the to-do card, at most
MAX_SUBSCRIPTIONS_PER_SEND per send), and the sysadmin's confirmation.
Each function is one transaction; messages go to the outbox inside it."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients.models import Subscription
from clients.selectors import active_sysadmins
from collaboration.agreements.documents import sha256_of, validate_agreement_pdf
from collaboration.agreements.models import (
    AgreementConfirmation,
    AgreementDocument,
    AgreementKind,
)
from collaboration.agreements.selectors import current_documents
from collaboration.models import CollaborationRequest, Coupling
from firm_portal.metrics import REMINDERS_SENT
from firm_portal.models import Consultant, Firm, User
from firm_portal.request_data import parse_ids
from notifications.services import outbox_batch, outbox_enqueue_email

# As many as "Bjud in klientanvändare" sends at once (clients.bulk_invitations).
MAX_SUBSCRIPTIONS_PER_SEND = 50


class AgreementsNotConfirmed(Exception):
    """The sysadmin did not tick every agreement; `message` is shown."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def require_firm_admin(*, consultant: Consultant) -> None:
    if not consultant.is_firm_admin:
        raise PermissionDenied(_("Bara byråns administratörer hanterar byråns avtal."))


def agreement_upload(
    *, consultant: Consultant, kind: str, title: str, file: UploadedFile
) -> AgreementDocument:
    """A new version of the firm's agreement of `kind` (the next number);
    the versions before it and what was confirmed under them stay as they
    are. ValidationError (Swedish) for a file that is not a PDF or too large."""
    require_firm_admin(consultant=consultant)
    if kind not in AgreementKind.values:
        raise ValidationError(_("Välj typ av avtal."), code="agreement_kind")
    validate_agreement_pdf(file)
    sha256 = sha256_of(file)
    try:
        with transaction.atomic():
            # The firm's row serialises two uploads of the same kind.
            Firm.objects.select_for_update().filter(pk=consultant.firm_id).first()
            latest = AgreementDocument.objects.filter(
                firm_id=consultant.firm_id, kind=kind
            ).aggregate(latest=Max("version"))["latest"]
            document = AgreementDocument(
                firm_id=consultant.firm_id,
                kind=kind,
                version=(latest or 0) + 1,
                title=title,
                sha256=sha256,
                size=file.size or 0,
                uploaded_by=consultant.user,
            )
            document.document.save(file.name or "avtal.pdf", file, save=False)
            document.save()
    except IntegrityError:
        raise ValidationError(
            _("Någon laddade upp en ny version samtidigt. Försök igen."), code="agreement_race"
        ) from None
    return document


def _asks(
    *,
    documents: Iterable[AgreementDocument],
    subscription_id: int,
    requested_by: User,
    request: CollaborationRequest | None = None,
) -> list[AgreementConfirmation]:
    return [
        AgreementConfirmation(
            firm_id=document.firm_id,
            subscription_id=subscription_id,
            document=document,
            request=request,
            kind=document.kind,
            title=document.title,
            version=document.version,
            sha256=document.sha256,
            requested_by=requested_by,
        )
        for document in documents
    ]


def agreements_attach(
    *,
    firm_id: int,
    subscription_id: int,
    requested_by: User,
    request: CollaborationRequest | None = None,
) -> list[AgreementConfirmation]:
    """The firm's current agreements travel with a coupling request
    (`request`: confirmed before "Jag godkänner") or with a new customer
    (no request: the customer's to-do card once they are sysadmin). Called
    inside the sender's transaction."""
    asks = _asks(
        documents=current_documents(firm_id=firm_id),
        subscription_id=subscription_id,
        requested_by=requested_by,
        request=request,
    )
    return AgreementConfirmation.objects.bulk_create(asks, ignore_conflicts=True)


def request_agreements_attach(*, request: CollaborationRequest) -> list[AgreementConfirmation]:
    """ "Ny klient": the firm's current agreements travel with the request,
    to be confirmed with "Jag godkänner". Called inside the send's transaction."""
    return agreements_attach(
        firm_id=request.firm_id,
        subscription_id=request.subscription_id,
        requested_by=request.requested_by,
        request=request,
    )


def agreements_attach_for_new_customer(*, coupling: Coupling, by: User) -> None:
    """ "Skapa nytt samarbete": the firm's current agreements wait on the
    new customer's to-do card, confirmed there once the primary contact has
    accepted the terms and is the subscription's sysadmin."""
    agreements_attach(
        firm_id=coupling.firm_id, subscription_id=coupling.subscription_id, requested_by=by
    )


def _record_confirmed(asks: Iterable[AgreementConfirmation], *, user: User) -> None:
    now = timezone.now()
    for ask in asks:
        ask.status = AgreementConfirmation.Status.CONFIRMED
        ask.confirmed_at = now
        ask.confirmed_by = user
        ask.confirmed_by_name = user.full_name
        ask.confirmed_by_email = user.email
    AgreementConfirmation.objects.bulk_update(
        list(asks),
        ["status", "confirmed_at", "confirmed_by", "confirmed_by_name", "confirmed_by_email"],
    )


def _ticked_ids(ticked: Collection[str | int]) -> set[int]:
    """The ticked boxes' ids; anything else is as good as not ticked."""
    return parse_ids(str(value) for value in ticked)


def _missing_message(firm_name: str, missing: list[AgreementConfirmation]) -> str:
    names = ", ".join(
        _("%(title)s (version %(version)s)") % {"title": a.title, "version": a.version}
        for a in missing
    )
    return ngettext(
        "Bekräfta avtalet från %(firm)s innan du godkänner: kryssa i rutan för %(names)s.",
        "Bekräfta avtalen från %(firm)s innan du godkänner: kryssa i rutorna för %(names)s.",
        len(missing),
    ) % {"firm": firm_name, "names": names}


def request_agreements_confirm(
    *, request: CollaborationRequest, user: User, ticked: Collection[str | int]
) -> list[AgreementConfirmation]:
    """Inside "Jag godkänner" (collaboration_request_approve, with the
    request locked): every agreement the request carries must be ticked,
    else AgreementsNotConfirmed and nothing is approved."""
    asks = list(
        AgreementConfirmation.objects.select_for_update()
        .filter(request=request, status=AgreementConfirmation.Status.PENDING)
        .order_by("kind", "pk")
    )
    ids = _ticked_ids(ticked)
    missing = [ask for ask in asks if ask.pk not in ids]
    if missing:
        raise AgreementsNotConfirmed(_missing_message(request.firm.name, missing))
    _record_confirmed(asks, user=user)
    return asks


@transaction.atomic
def agreements_confirm(
    *, user: User, subscription: Subscription, ticked: Collection[str | int]
) -> list[AgreementConfirmation]:
    """The to-do card's "Bekräfta": the ticked open asks of `subscription`
    are confirmed by `user`, who must be one of its live sysadmins."""
    if not active_sysadmins(subscription=subscription).filter(user=user).exists():
        raise PermissionDenied(_("Du är inte systemadministratör i abonnemanget."))
    ids = _ticked_ids(ticked)
    asks = list(
        AgreementConfirmation.objects.open()
        .select_for_update(of=("self",))
        .filter(subscription=subscription, request__isnull=True, pk__in=ids)
    )
    if not asks:
        raise AgreementsNotConfirmed(_("Kryssa i de avtal du bekräftar. Inget avtal är bekräftat."))
    _record_confirmed(asks, user=user)
    return asks


@dataclass(frozen=True)
class AskResult:
    asked: int  # subscriptions that got a to-do card
    agreements: int  # agreements asked for, over all of them
    already: int  # subscriptions with nothing left to ask


def _tell_sysadmins(
    *,
    firm: Firm,
    subscription: Subscription,
    asks: list[AgreementConfirmation],
    reminder: bool = False,
) -> int:
    """E-mail every live sysadmin of `subscription`; how many were e-mailed."""
    sysadmins = list(active_sysadmins(subscription=subscription))
    for membership in sysadmins:
        outbox_enqueue_email(
            to=membership.user.email,
            template="agreement-confirmation",
            context={
                "recipient": membership.user,
                "firm": firm,
                "client": subscription.client,
                "subscription": subscription,
                "asks": asks,
                "reminder": reminder,
            },
        )
    return len(sysadmins)


@transaction.atomic
def agreements_ask(*, consultant: Consultant, numbers: Collection[int]) -> AskResult:
    """ "Be om bekräftelse": for each of the firm's agreed couplings among
    `numbers`, a to-do card at the client with the firm's current agreements
    not yet confirmed at their current version and not already asked for.
    At most MAX_SUBSCRIPTIONS_PER_SEND subscriptions per send."""
    require_firm_admin(consultant=consultant)
    if not numbers:
        raise ValidationError(_("Välj minst en klient."), code="ask_none")
    if len(numbers) > MAX_SUBSCRIPTIONS_PER_SEND:
        raise ValidationError(
            _("För många klienter: högst %(max)s per utskick, du valde %(count)s.")
            % {"max": MAX_SUBSCRIPTIONS_PER_SEND, "count": len(numbers)},
            code="ask_too_many",
        )
    documents = list(current_documents(firm_id=consultant.firm_id))
    if not documents:
        raise ValidationError(
            _("Byrån har inga avtal att skicka. Ladda upp byråns avtal först."),
            code="ask_no_documents",
        )
    subscriptions = list(
        Subscription.objects.filter(
            number__in=numbers,
            pk__in=Coupling.objects.agreed().visible_to(consultant).values("subscription_id"),
        ).select_related("client")
    )
    # What each subscription has already: confirmed at this version or asked.
    settled = set(
        AgreementConfirmation.objects.filter(subscription__in=subscriptions, document__in=documents)
        .filter(
            Q(status=AgreementConfirmation.Status.CONFIRMED)
            | Q(request__isnull=True)
            | Q(request__status=CollaborationRequest.Status.PENDING)
        )
        .values_list("subscription_id", "document_id")
    )
    asked = total = 0
    firm = consultant.firm
    with outbox_batch():
        for subscription in subscriptions:
            wanted = [d for d in documents if (subscription.pk, d.pk) not in settled]
            if not wanted:
                continue
            # A colleague's send at the same moment: the open-ask constraint keeps one.
            asks = AgreementConfirmation.objects.bulk_create(
                _asks(
                    documents=wanted, subscription_id=subscription.pk, requested_by=consultant.user
                ),
                ignore_conflicts=True,
            )
            _tell_sysadmins(firm=firm, subscription=subscription, asks=asks)
            asked += 1
            total += len(asks)
    return AskResult(asked=asked, agreements=total, already=len(subscriptions) - asked)


def _remind_one(*, subscription_id: int, firm_id: int, step: int, due_before: datetime) -> int:
    """One client's open asks from one firm at reminder `step`, claimed by
    moving them to the next step (a second run finds them claimed), and one
    reminder to each of its sysadmins. How many e-mails were written."""
    with transaction.atomic():
        due = AgreementConfirmation.objects.open().filter(
            subscription_id=subscription_id,
            firm_id=firm_id,
            request__isnull=True,
            reminders_sent=step,
            requested_at__lte=due_before,
        )
        ids = list(due.values_list("pk", flat=True))
        claimed = AgreementConfirmation.objects.filter(pk__in=ids, reminders_sent=step).update(
            reminders_sent=step + 1, last_reminded_at=timezone.now()
        )
        if not claimed:
            return 0
        asks = list(
            AgreementConfirmation.objects.filter(pk__in=ids)
            .select_related("firm", "subscription__client")
            .order_by("kind", "pk")
        )
        first = asks[0]
        with outbox_batch():
            return _tell_sysadmins(
                firm=first.firm, subscription=first.subscription, asks=asks, reminder=True
            )


def agreement_asks_remind() -> int:
    """Celery beat, daily: agreements still unconfirmed on a client's to-do
    card are reminded AGREEMENT_REMINDER_DAYS after they were sent, once per
    entry, one e-mail per sysadmin, firm and client. How many e-mails."""
    now = timezone.now()
    sent = 0
    for step, days in enumerate(settings.AGREEMENT_REMINDER_DAYS):
        due_before = now - timedelta(days=days)
        groups = (
            AgreementConfirmation.objects.open()
            .filter(request__isnull=True, reminders_sent=step, requested_at__lte=due_before)
            .values_list("subscription_id", "firm_id")
            .distinct()
        )
        for subscription_id, firm_id in groups:
            sent += _remind_one(
                subscription_id=subscription_id, firm_id=firm_id, step=step, due_before=due_before
            )
    REMINDERS_SENT.inc(sent)
    return sent
