"""The English catalogue: complete, placeholders intact, compiled, and used.

The msgids are Swedish (the product language); English comes from
locale/en/LC_MESSAGES/django.po. After editing the .po, run
`manage.py compilemessages -l en` and commit the .mo too.
"""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

NAMED_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")
KEYWORD_LINE = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def label(self) -> str:
        return f"{PO_PATH.name}:{self.line} {self.msgid!r}"


def _unquote(quoted: str) -> str:
    # A PO string literal uses C escapes, which a Python literal reads the same way.
    value = ast.literal_eval(quoted)
    assert isinstance(value, str)
    return value


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file, header included (msgid ""); obsolete #~ ones skipped."""
    entries: list[Entry] = []
    entry: Entry | None = None
    # The field the next continuation line ("...") belongs to.
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal entry, target
        if entry is not None:
            entries.append(entry)
        entry, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if line.startswith("#~"):
                continue
            if entry is not None and entry.msgstr:
                finish()  # a comment after msgstr starts the next entry
            if entry is None:
                entry = Entry(line=number)
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        keyword = KEYWORD_LINE.match(line)
        if keyword:
            name, index, quoted = keyword.group(1), keyword.group(2), keyword.group(3)
            if name in ("msgctxt", "msgid") and entry is not None and entry.msgstr:
                finish()  # no blank line between entries
            if entry is None:
                entry = Entry(line=number)
            value = _unquote(quoted)
            if name == "msgctxt":
                entry.msgctxt, target = value, ("msgctxt", 0)
            elif name == "msgid":
                entry.msgid, entry.line, target = value, number, ("msgid", 0)
            elif name == "msgid_plural":
                entry.msgid_plural, target = value, ("msgid_plural", 0)
            else:
                position = int(index) if index is not None else 0
                entry.msgstr[position], target = value, ("msgstr", position)
            continue
        if line.startswith('"'):
            assert entry is not None and target is not None, f"{path}:{number}: stray string"
            value = _unquote(line)
            name, position = target
            if name == "msgctxt":
                entry.msgctxt = (entry.msgctxt or "") + value
            elif name == "msgid":
                entry.msgid += value
            elif name == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + value
            else:
                entry.msgstr[position] += value
            continue
        raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    finish()
    return entries


def _header(entries: list[Entry]) -> dict[str, str]:
    header = next(e for e in entries if e.msgid == "" and e.msgctxt is None)
    fields = {}
    for row in header.msgstr[0].splitlines():
        name, _sep, value = row.partition(":")
        fields[name.strip()] = value.strip()
    return fields


def _messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.msgid != "" or e.msgctxt is not None]


def _plural_count(entries: list[Entry]) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", _header(entries)["Plural-Forms"])
    assert match
    return int(match.group(1))


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    assert PO_PATH.is_file(), f"{PO_PATH} is missing: run manage.py makemessages -l en"
    return parse_po(PO_PATH)


def test_parser_reads_multiline_and_plural_entries(tmp_path: Path) -> None:
    sample = tmp_path / "sample.po"
    sample.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        '#, python-format\nmsgid ""\n"Hej %(name)s, "\n"välkommen."\n'
        'msgstr ""\n"Hello %(name)s, "\n"welcome."\n\n'
        'msgid "en klient"\nmsgid_plural "%(count)s klienter"\n'
        'msgstr[0] "one client"\nmsgstr[1] ""\n"%(count)s clients"\n'
        'msgctxt "verb"\nmsgid "Byt"\nmsgstr "Change"\n',
        encoding="utf-8",
    )
    entries = parse_po(sample)
    assert _header(entries)["Language"] == "en"
    greeting, plural, with_context = _messages(entries)
    assert greeting.msgid == "Hej %(name)s, välkommen."
    assert greeting.msgstr == {0: "Hello %(name)s, welcome."}
    assert "python-format" in greeting.flags
    assert plural.msgid_plural == "%(count)s klienter"
    assert plural.msgstr == {0: "one client", 1: "%(count)s clients"}
    assert (with_context.msgctxt, with_context.msgstr[0]) == ("verb", "Change")


def test_header_declares_english_utf8_and_plural_forms(po_entries: list[Entry]) -> None:
    header = _header(po_entries)
    assert header["Language"] == "en"
    assert header["Content-Type"] == "text/plain; charset=UTF-8"
    assert header["Plural-Forms"].replace(" ", "") == "nplurals=2;plural=(n!=1);"
    assert not any("fuzzy" in e.flags for e in po_entries if e.msgid == "")


def test_every_entry_is_translated_and_not_fuzzy(po_entries: list[Entry]) -> None:
    messages = _messages(po_entries)
    assert len(messages) > 100, "the catalogue looks truncated"
    plurals = _plural_count(po_entries)
    fuzzy = [e.label for e in messages if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    untranslated = []
    for entry in messages:
        expected = range(plurals) if entry.msgid_plural is not None else range(1)
        if any(not entry.msgstr.get(index, "").strip() for index in expected):
            untranslated.append(entry.label)
    assert not untranslated, f"untranslated entries: {untranslated}"


def test_every_placeholder_is_kept(po_entries: list[Entry]) -> None:
    problems = []
    for entry in _messages(po_entries):
        wanted = set(NAMED_PLACEHOLDER.findall(entry.msgid))
        if entry.msgid_plural is not None:
            wanted |= set(NAMED_PLACEHOLDER.findall(entry.msgid_plural))
        for index, msgstr in entry.msgstr.items():
            missing = wanted - set(NAMED_PLACEHOLDER.findall(msgstr))
            unknown = set(NAMED_PLACEHOLDER.findall(msgstr)) - wanted
            # A singular form may drop %(count)s ("one client"); nothing else may go.
            if entry.msgid_plural is not None and index == 0:
                missing -= {"count"}
            if missing or unknown:
                problems.append(
                    f"{entry.label} msgstr[{index}]: missing {missing}, unknown {unknown}"
                )
    assert not problems, "\n".join(problems)


# Swedish words whose plural differs from the singular: a number in front of
# one needs ngettext / {% blocktranslate count %} ("används av 1 personer").
PLURAL_WORDS = frozenset(
    {
        "personer", "licenser", "klienter", "konsulter", "användarna", "dagar", "dagarna",
        "månader", "veckor", "timmar", "minuter", "träffar", "händelser", "rader",
        "inbjudningar", "meddelanden", "samarbeten", "förfrågningar", "fakturor",
        "behörigheter", "reservkoder", "koder", "sidor", "tillagda", "borttagna", "nya",
        "lediga", "markerade", "valda", "hållna", "misslyckade", "oanvända",
    }
)  # fmt: skip
COUNT_BEFORE_WORD = re.compile(r"%\((\w+)\)[sd] ([a-zåäö]+)")
# Messages whose number can never be one, and why.
ALWAYS_MANY = {
    "Visar %(shown)s av %(total)s klienter. Sök för att hitta fler.": (
        "shown only when there are more clients than the 200 rows listed"
    ),
    "Visar %(shown)s av %(total)s träffar. Sök för att smalna av.": (
        "shown only when there are more matches than the rows listed"
    ),
    "Fler än %(cap)s händelser (räknas inte längre än så; smalna av med filtren).": (
        "the ledger's count cap, always 10 000"
    ),
    "Fler än %(cap)s klienter (räknas inte längre än så; smalna av sökningen).": (
        "the client search's count cap, always 1 000"
    ),
}


def test_counts_take_plural_forms(po_entries: list[Entry]) -> None:
    """Issue 14: "används av 1 personer". A count before a word that changes
    with it is a plural entry (ngettext, {% blocktranslate count %})."""
    offenders = [
        f"{entry.label}: %({name})s {word}"
        for entry in _messages(po_entries)
        if entry.msgid_plural is None and entry.msgid not in ALWAYS_MANY
        for name, word in COUNT_BEFORE_WORD.findall(entry.msgid)
        if word in PLURAL_WORDS
    ]
    assert not offenders, "counts without plural forms:\n" + "\n".join(offenders)
    assert set(ALWAYS_MANY) <= {entry.msgid for entry in _messages(po_entries)}


def test_one_word_for_download() -> None:
    """Issue 14: "Ladda ned" and "Ladda ner" were both used; "Ladda ned" it is."""
    sources = [
        path
        for folder in ("templates", "clients", "collaboration", "firm_portal", "licensing")
        for path in (Path(settings.BASE_DIR) / folder).rglob("*")
        if path.suffix in {".html", ".txt", ".py"}
    ]
    texts = {path: path.read_text(encoding="utf-8") for path in sources}
    assert not [path for path, text in texts.items() if re.search("ladda ner", text, re.I)]
    assert any("Ladda ned" in text for text in texts.values())


def test_compiled_catalogue_matches_po(po_entries: list[Entry]) -> None:
    assert MO_PATH.is_file(), f"{MO_PATH} is missing: run manage.py compilemessages -l en"
    with MO_PATH.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    stale = []
    for entry in _messages(po_entries):
        if entry.msgctxt is not None and entry.msgid_plural is None:
            actual = catalogue.pgettext(entry.msgctxt, entry.msgid)
            expected = entry.msgstr[0]
        elif entry.msgctxt is not None:
            assert entry.msgid_plural is not None
            actual = catalogue.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 5)
            expected = entry.msgstr[1]
        elif entry.msgid_plural is not None:
            actual = catalogue.ngettext(entry.msgid, entry.msgid_plural, 1) + "|"
            actual += catalogue.ngettext(entry.msgid, entry.msgid_plural, 5)
            expected = f"{entry.msgstr[0]}|{entry.msgstr[1]}"
        else:
            actual = catalogue.gettext(entry.msgid)
            expected = entry.msgstr[0]
        if actual != expected:
            stale.append(f"{entry.label}: .mo has {actual!r}, .po has {expected!r}")
    assert not stale, (
        "django.mo is out of date, run manage.py compilemessages -l en:\n" + "\n".join(stale)
    )


@pytest.mark.django_db
def test_login_page_is_swedish_until_english_is_chosen(client) -> None:  # type: ignore[no-untyped-def]
    # Accept-Language is ignored on purpose: Swedish is the default.
    response = client.get("/logga-in/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Language"] == "sv"
    assert "<h1>Logga in</h1>" in response.content.decode()

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/logga-in/"})
    assert response.status_code == 302
    assert response["Location"] == "/logga-in/"

    response = client.get("/logga-in/")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    content = response.content.decode()
    assert "<h1>Log in</h1>" in content
    assert "Logga in" not in content
