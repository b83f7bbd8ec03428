"""A logging filter that keeps personal data out of the logs, whatever logs it
(our code, Celery, SMTP errors that quote a recipient, an SMS provider's
answer that quotes the number): email addresses, personnummer and phone
numbers are replaced before the record is written."""

import logging
import re

REDACTIONS = [
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
