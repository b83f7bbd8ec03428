"""A logging filter that keeps personal data out of the logs, whatever logs it
(our code, Celery, SMTP errors that quote a recipient, an SMS provider's
answer that quotes the number): email addresses, personnummer and phone
numbers are replaced before the record is written. So are the secret segments
of signed links (invitations, the new customer's acceptance, password reset)
wherever a path is logged: the request line, Django's "Not Found: …", a
traceback; the route's shape stays ("/inbjudan/<token>/")."""

import logging
import re

# Every URL with a secret in its path (tests/firm_portal/test_log_tokens.py
# checks that each such route in the URLconf is listed here). A segment is
# anything up to the next "/", whitespace, quote or query string.
_SEGMENT = r"[^/\s?#\"']+"
TOKEN_PATHS = [
    # Django's password reset: /losenord/aterstall/<uidb64>/<token>/ (and the
    # /<uidb64>/set-password/ it redirects to, where the token is in the session).
    (
        re.compile(rf"(/losenord/aterstall/){_SEGMENT}/(?!set-password/){_SEGMENT}"),
        r"\1<uidb64>/<token>",
    ),
    (re.compile(rf"(/losenord/aterstall/){_SEGMENT}(/set-password/)"), r"\1<uidb64>\2"),
    # Invitation links and their "Skicka ny länk": /inbjudan/<token>/…
    (re.compile(rf"(/inbjudan/){_SEGMENT}"), r"\1<token>"),
    # The new customer's acceptance link: /samarbeten/godkann/<token>/
    (re.compile(rf"(/samarbeten/godkann/){_SEGMENT}"), r"\1<token>"),
]

REDACTIONS = [
    *TOKEN_PATHS,
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[e-post]"),
    # Personnummer / samordningsnummer: YYYYMMDD-NNNN, YYMMDD-NNNN, 10 or 12 digits.
    # Never the decimals of a number ("succeeded in 0.0123456789s", Celery's timing).
    (re.compile(r"(?<![\d])(?<!\d\.)(?:19|20)?\d{6}[-+]?\d{4}(?![\d])"), "[personnummer]"),
    # Phone numbers: +46 70 123 45 67, 070-123 45 67, +46701234567 …
    (
        re.compile(r"(?<![\w])(?<!\d\.)(?:\+\d{1,3}[ -]?|0)\d{1,3}(?:[ -]?\d{2,4}){2,4}(?![\d])"),
        "[telefon]",
    ),
]


def redact_path(path: str) -> str:
    """A request path without the secrets of a signed link."""
    for pattern, replacement in TOKEN_PATHS:
        path = pattern.sub(replacement, path)
    return path


def redact(text: str) -> str:
    for pattern, replacement in REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks quote exception text too (e.g. SMTPRecipientsRefused).
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
