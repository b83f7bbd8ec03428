"""Playwright on Debian's Chromium (Playwright's own download is not used).

A missing browser fails these tests instead of skipping them: CI must run them.
"""

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

# Playwright's sync API runs an event loop in this thread; the test's own
# database set-up is synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:  # type: ignore[type-arg]
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:  # type: ignore[type-arg]
    return {**browser_context_args, "locale": "sv-SE", "timezone_id": "Europe/Stockholm"}


def two_factor_app(email: str) -> None:
    """Give a user who must use two-factor authentication (support staff,
    firm admins, program admins, sysadmins: `two_factor_required`) an app
    device, as if they had set it up on an earlier visit. Someone who becomes
    one during a journey sets it up on the page instead (`Journey.set_up_app`)."""
    from firm_portal.models import User
    from firm_portal.two_factor.services import two_factor_required
    from tests.two_factor_helpers import app_device

    user = User.objects.filter(email=email).first()
    if user is not None and two_factor_required(user=user):
        app_device(user)


# WCAG 2.1 levels A and AA: the rules axe-core tags with these.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}

# What makes two moments on the same route different pages to check: the
# headings, whether an error is shown, where its forms post to (numbers left
# out, so the same page for another row or test is no new page). Cheap, so it
# runs before every interaction; axe runs only when the state is new.
PAGE_STATE_JS = """() => [
  location.pathname,
  [...document.querySelectorAll('h1, h2, h3')].map(h => h.textContent.trim()).join('|'),
  document.querySelectorAll('.error, [role=alert], [aria-invalid=true]').length > 0,
  // getAttribute: a control named "action" hides the form's action property.
  [...new Set([...document.forms].map(f =>
    new URL(f.getAttribute('action') || '', location.href).pathname.replace(/\\d+/g, 'N')))]
    .sort().join(' '),
]"""


REPEATED_IDS_JS = """() => {
  const seen = new Set(), repeated = new Set();
  for (const el of document.querySelectorAll('[id]')) {
    if (seen.has(el.id)) repeated.add(el.id); else seen.add(el.id);
  }
  return [...repeated];
}"""

# The focused element and whether it shows a focus indicator (static/css/app.css:
# an outline on :focus-visible, and on date fields, whose focus sits in their
# inner parts); null while nothing is focused (after a page load or when HTMX
# replaced the focused element).
FOCUS_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow !== 'none';
  const box = el.getBoundingClientRect();
  return {
    indicator: outline || shadow,
    shown: box.width > 0 && box.height > 0 && style.visibility !== 'hidden',
    element: el.outerHTML.slice(0, 160),
  };
}"""


def evaluate_settled(page: Page, script: str) -> Any:
    """page.evaluate, once more after the load when a key or click has just
    started a navigation that destroyed the document being asked."""
    try:
        return page.evaluate(script)
    except PlaywrightError as error:
        if "Execution context was destroyed" not in error.message:
            raise
        page.wait_for_load_state()
        return page.evaluate(script)


def _route(path: str) -> str:
    """The URL pattern a path belongs to (/abonnemang/7/… → abonnemang/<int:number>/…)."""
    try:
        return resolve(path).route
    except Resolver404:
        return "(404)"


class AccessibilityAudit:
    """axe-core (axe-playwright-python's copy, run in our Chromium) with the
    WCAG 2.1 A and AA rules over every page the browser tests reach: each
    new state of a route in Swedish as the test sees it, and each route once
    more in English (fetched again with the language cookie). Any violation
    fails the test that reached the page."""

    def __init__(self) -> None:
        self.axe_script = Axe().axe_script
        self.checked: set[tuple[object, ...]] = set()
        self.pages = 0
        self.seconds = 0.0

    def violations(self, page: Page) -> list[str]:
        started = time.perf_counter()
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.axe_script)
        result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        # axe-core no longer reports repeated ids (WCAG 2.2 dropped 4.1.1), but
        # a repeated id still breaks every label and aria-* reference to it.
        repeated = page.evaluate(REPEATED_IDS_JS)
        self.pages += 1
        self.seconds += time.perf_counter() - started
        found = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
            for v in result["violations"]
        ]
        if repeated:
            found.append(f"repeated id: {', '.join(repeated)}")
        return found

    def check(self, page: Page) -> None:
        if page.is_closed() or not page.url.startswith("http"):
            return
        page.wait_for_load_state()
        path, *state = evaluate_settled(page, PAGE_STATE_JS)
        route = _route(path)
        key = ("sv", route, *state)
        if key in self.checked:
            return
        self.checked.add(key)
        found = self.violations(page)
        assert not found, f"axe: {page.url} (sv)\n" + "\n".join(found)
        if ("en", route) not in self.checked:
            self.checked.add(("en", route))
            self.check_in_english(page)

    def check_in_english(self, page: Page) -> None:
        """The same URL fetched in a second tab with the language cookie, so
        the page under test keeps its state and its language."""
        context = page.context
        name = settings.LANGUAGE_COOKIE_NAME
        before = [c for c in context.cookies() if c["name"] == name]
        host = urlsplit(page.url).hostname or ""
        context.add_cookies([{"name": name, "value": "en", "domain": host, "path": "/"}])
        english = context.new_page()
        found: list[str] = []
        try:
            response = english.goto(page.url)
            # A POST-only address (the page was a form's answer) has no GET to check.
            if response is None or response.status != 405:
                assert english.locator("html").get_attribute("lang") == "en"
                found = self.violations(english)
        finally:
            english.close()
            context.clear_cookies(name=name)
            if before:
                context.add_cookies(before)  # type: ignore[arg-type]
        assert not found, f"axe: {page.url} (en)\n" + "\n".join(found)


@pytest.fixture(scope="session")
def accessibility_audit() -> Iterator[AccessibilityAudit]:
    audit = AccessibilityAudit()
    yield audit
    print(f"\naxe-core: {audit.pages} pages checked in {audit.seconds:.1f} s")


# No htmx request, swap or settle under way (true on pages without htmx).
HTMX_IDLE_JS = (
    "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
)


class Journey:
    """Wraps a page: counts the user's interactions and saves a screenshot
    after each step under test-artifacts/screenshots/<journey>/. Before each
    interaction, and at the end, the page as it is then goes through the
    accessibility audit (each new state once a session)."""

    def __init__(
        self, page: Page, base_url: str, name: str, audit: AccessibilityAudit | None = None
    ) -> None:
        self.page = page
        self.base_url = base_url
        self.audit = audit
        self.folder = ARTIFACTS / name
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.interactions = 0
        self.step = 0

    def snap(self, label: str) -> None:
        self.step += 1
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        self.page.screenshot(path=self.folder / f"{self.step:02d}-{slug}.png", full_page=True)

    def audited(self) -> None:
        self.settled()
        if self.audit is not None:
            self.audit.check(self.page)

    def settled(self) -> None:
        """Wait until htmx has finished its requests and swaps: an element
        swapped in gets its listeners once it settles, and a person does not
        type into a field in the same millisecond it appears (on a busy
        machine a test would, and the keystroke would go unheard)."""
        self.page.wait_for_function(HTMX_IDLE_JS)

    def goto(self, path: str) -> None:
        self.audited()
        self.interactions += 1
        self.page.goto(self.base_url + path)

    def click(self, locator) -> None:  # type: ignore[no-untyped-def]
        self.audited()
        self.interactions += 1
        locator.click()

    def fill(self, locator, value: str) -> None:  # type: ignore[no-untyped-def]
        self.audited()
        self.interactions += 1
        locator.fill(value)

    def select(self, locator, label: str) -> None:  # type: ignore[no-untyped-def]
        self.audited()
        self.interactions += 1
        locator.select_option(label=label)

    def enter_as(self, user) -> None:  # type: ignore[no-untyped-def]
        """Logged in as `user` without the login form, for tests about other
        pages: the session cookie of a test client's force_login (which
        tests/conftest.py lets past the code step)."""
        from django.test import Client

        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        name = settings.SESSION_COOKIE_NAME
        self.page.context.add_cookies([{"name": name, "value": cookie, "url": self.base_url}])

    # Keyboard only: Tab/Shift+Tab to reach things, typing into what has
    # focus, Enter/Space/arrows to act. After every key the focused element
    # must show a focus indicator.

    def press(self, key: str) -> None:
        self.audited()
        self.interactions += 1
        self.page.keyboard.press(key)
        self.focus_is_visible()

    def focus_is_visible(self) -> None:
        focused = evaluate_settled(self.page, FOCUS_JS)
        if focused is not None:
            assert focused["shown"], f"focus on something not shown: {focused['element']}"
            assert focused["indicator"], f"no visible focus indicator: {focused['element']}"

    def tab_to(self, locator, *, backwards: bool = False, limit: int = 80) -> None:  # type: ignore[no-untyped-def]
        """Press Tab (Shift+Tab) until `locator` has focus."""
        expect(locator).to_be_visible()
        for _ in range(limit):
            self.press("Shift+Tab" if backwards else "Tab")
            if locator.evaluate("el => el === document.activeElement"):
                return
        raise AssertionError(f"{limit} × Tab never reached {locator}")

    def type(self, text: str) -> None:
        """Type into the focused field, as a person would."""
        self.audited()
        self.interactions += 1
        self.page.keyboard.type(text)
        self.focus_is_visible()

    def log_in(self, email: str, password: str) -> None:
        two_factor_app(email)
        self.goto("/")
        self.fill(self.page.get_by_label("E-post"), email)
        self.fill(self.page.get_by_label("Lösenord"), password)
        self.click(self.page.get_by_role("button", name="Logga in"))
        self.second_step(email)

    def second_step(self, email: str) -> None:
        """Those who must use two-factor authentication enter the code from
        their app (set up earlier: see two_factor_app)."""
        from firm_portal.models import User
        from firm_portal.two_factor.services import two_factor_required
        from tests.two_factor_helpers import app_code, app_device

        user = User.objects.get(email=email)
        if not two_factor_required(user=user):
            return
        device = app_device(user)
        self.page.wait_for_url("**/tvastegsverifiering/verifiera/**")
        self.fill(self.page.get_by_label("Verifieringskod"), app_code(device))
        self.click(self.page.get_by_role("button", name="Verifiera"))

    def set_up_app(self) -> None:
        """On "Slå på tvåstegsverifiering": type the key shown under the QR
        code into an app (here: compute its code), confirm, keep the codes."""
        import time
        from base64 import b32decode

        from django_otp.oath import TOTP

        self.page.wait_for_url("**/tvastegsverifiering/aktivera/**")
        key = self.page.locator("code.secret").inner_text().replace(" ", "")
        totp = TOTP(b32decode(key + "=" * (-len(key) % 8)))
        totp.time = time.time()
        self.fill(self.page.get_by_label("Verifieringskod"), f"{totp.token():06d}")
        self.click(self.page.get_by_role("button", name="Verifiera"))
        self.click(self.page.get_by_role("link", name="Jag har sparat koderna"))


@pytest.fixture
def journey(page: Page, live_server, accessibility_audit) -> Iterator:  # type: ignore[no-untyped-def]
    page.set_default_timeout(10_000)
    journeys: list[Journey] = []

    def start(name: str) -> Journey:
        journeys.append(Journey(page, live_server.url, name, accessibility_audit))
        return journeys[-1]

    yield start
    if journeys:
        journeys[-1].audited()  # where the test ended
    for done in journeys:
        print(f"\n{done.folder.name}: {done.interactions} interactions")
