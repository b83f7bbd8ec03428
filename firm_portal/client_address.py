"""The client address that django-axes counts failed logins against
(AXES_CLIENT_IP_CALLABLE).

Behind reverse proxies REMOTE_ADDR is the nearest proxy, one address for
everybody, so a hundred wrong passwords from anywhere would lock every login.
Each proxy appends the address it received the request from to
X-Forwarded-For, so with TRUSTED_PROXY_COUNT proxies the client is the
TRUSTED_PROXY_COUNT-th entry from the right. Everything left of that was sent
by the client and may be forged, and without a configured count the header is
ignored altogether (anyone could send it).

Why not django-ipware: it parses X-Forwarded-For with RFC 7239's quoting, so
a client that sends a lone `"` turns the whole header (proxy entries
included) into one invalid token, and ipware falls back to REMOTE_ADDR — the
shared proxy address, which is the lockout this module exists to prevent.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(hops) < proxies:
        return remote  # not through our proxies (a health check on the app itself)
    # Our proxy always writes an address; anything else is no request of theirs.
    return _address(hops[-proxies].strip()) or remote


def _address(hop: str) -> str | None:
    """`203.0.113.5`, `2001:db8::5`, or either with a port (`203.0.113.5:4711`,
    `[2001:db8::5]:4711`), as some proxies write them."""
    host, colon, port = hop.rpartition(":")
    candidates = [hop]
    if colon and port.isascii() and port.isdigit():
        candidates.append(host.removeprefix("[").removesuffix("]"))
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None
