"""46elks, https://46elks.se/docs/send-sms: POST the form fields `from`, `to`
and `message` with HTTP basic auth (API username and password); an accepted
message is answered with 200 and JSON carrying its id.

Standard library only (http.client), with explicit timeouts for connecting
and for each read, so a hanging provider cannot hold a worker.
"""

import base64
import http.client
import json
import ssl
from urllib.parse import urlencode, urlsplit

from django.conf import settings

from notifications.sms import BaseSmsBackend, Sms, SmsDeliveryError

# 4xx answers that describe the moment, not the request: try again later.
TRANSIENT_CLIENT_ERRORS = frozenset({408, 425, 429})
MAX_RESPONSE_BYTES = 64 * 1024


class SmsBackend(BaseSmsBackend):
    def __init__(self) -> None:
        self.url = urlsplit(settings.SMS_46ELKS_URL)
        credentials = f"{settings.SMS_46ELKS_USERNAME}:{settings.SMS_46ELKS_PASSWORD}"
        self.authorization = "Basic " + base64.b64encode(credentials.encode()).decode("ascii")
        self.timeout = settings.SMS_TIMEOUT_SECONDS

    def _connection(self) -> http.client.HTTPConnection:
        host, port = self.url.hostname or "", self.url.port
        if self.url.scheme == "https":
            return http.client.HTTPSConnection(
                host, port, timeout=self.timeout, context=ssl.create_default_context()
            )
        if self.url.scheme == "http":  # a local stand-in in tests
            return http.client.HTTPConnection(host, port, timeout=self.timeout)
        raise SmsDeliveryError(
            f"SMS_46ELKS_URL is not http(s): {self.url.geturl()}", permanent=True
        )

    def send(self, sms: Sms) -> str:
        body = urlencode({"from": sms.sender, "to": sms.to, "message": sms.body})
        path = (self.url.path or "/") + (f"?{self.url.query}" if self.url.query else "")
        connection = self._connection()
        try:
            connection.connect()  # bounded by the connect timeout
            if connection.sock is not None:
                connection.sock.settimeout(self.timeout)  # each read from now on
            connection.request(
                "POST",
                path,
                body=body,
                headers={
                    "Authorization": self.authorization,
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json",
                },
            )
            response = connection.getresponse()
            payload = response.read(MAX_RESPONSE_BYTES).decode("utf-8", "replace").strip()
        except (OSError, http.client.HTTPException) as error:
            # Refused, reset, timed out. A timeout after the request went out
            # is ambiguous (46elks may have sent it): retrying then risks a
            # duplicate SMS, which beats losing one.
            raise SmsDeliveryError(
                f"46elks not reached: {type(error).__name__}: {error}", permanent=False
            ) from error
        finally:
            connection.close()
        status = response.status
        if 200 <= status < 300:
            try:
                return str(json.loads(payload).get("id", ""))
            except (ValueError, AttributeError):
                return ""
        permanent = status < 500 and status not in TRANSIENT_CLIENT_ERRORS
        raise SmsDeliveryError(f"46elks answered {status}: {payload[:500]}", permanent=permanent)
