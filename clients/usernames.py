"""Username suggestions for new client users: "Åsa Öberg" → "asa.oberg"."""

import re
import unicodedata
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from firm_portal.models import User

# Letters NFKD does not take apart.
_SPECIAL = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ð": "d", "þ": "th", "ł": "l"})
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,149}$")


def fold(text: str) -> str:
    """Lower case ASCII: å, ä → a; ö → o; é → e; other marks dropped."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_SPECIAL))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def base_username(*, full_name: str, email: str) -> str:
    words = re.findall(r"[a-z0-9]+", fold(full_name))
    if not words:
        words = re.findall(r"[a-z0-9]+", fold(email.split("@")[0]))
    base = ".".join(words)[:140] or "anvandare"
    return base if len(base) >= 3 else f"{base}.anv"


def usernames_starting_with(bases: Iterable[str]) -> QuerySet[User, str | None]:
    """The usernames that start with one of `bases`: a prefix range on the
    username index per base, so the lookup stays flat however many users
    there are (an alternation regex would read the whole table)."""
    starts = Q(pk__in=[])
    for base in bases:
        starts |= Q(username__startswith=base)
    return User.objects.filter(starts).values_list("username", flat=True)


def existing_usernames(bases: Iterable[str]) -> set[str]:
    """Usernames in the database that are one of `bases` followed by digits
    (one query for any number of bases)."""
    bases = sorted(set(bases))
    if not bases:
        return set()
    wanted = re.compile("(" + "|".join(re.escape(base) for base in bases) + ")[0-9]*")
    return {name for name in usernames_starting_with(bases) if name and wanted.fullmatch(name)}


def username_suggest(
    *,
    full_name: str,
    email: str,
    taken: Iterable[str] = (),
    existing: set[str] | None = None,
) -> str:
    """A username free in the database and not in `taken` (other rows of the
    same form): the folded name, then name2, name3 … `existing` may carry
    `existing_usernames([...])` fetched once for many rows."""
    base = base_username(full_name=full_name, email=email)
    reserved = {name.lower() for name in taken}
    reserved |= existing if existing is not None else existing_usernames([base])
    if base not in reserved:
        return base
    n = 2
    while f"{base}{n}" in reserved:
        n += 1
    return f"{base}{n}"
