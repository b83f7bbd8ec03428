"""Playwright on Debian's Chromium (Playwright's own download is not used).

A missing browser fails these tests instead of skipping them: CI must run them.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

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
    from firm_portal.two_factor import two_factor_required
    from tests.two_factor_helpers import app_device

    user = User.objects.filter(email=email).first()
    if user is not None and two_factor_required(user=user):
        app_device(user)


class Journey:
    """Wraps a page: counts the user's interactions and saves a screenshot
    after each step under test-artifacts/screenshots/<journey>/."""

    def __init__(self, page: Page, base_url: str, name: str) -> None:
        self.page = page
        self.base_url = base_url
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

    def goto(self, path: str) -> None:
        self.interactions += 1
        self.page.goto(self.base_url + path)

    def click(self, locator) -> None:  # type: ignore[no-untyped-def]
        self.interactions += 1
        locator.click()

    def fill(self, locator, value: str) -> None:  # type: ignore[no-untyped-def]
        self.interactions += 1
        locator.fill(value)

    def select(self, locator, label: str) -> None:  # type: ignore[no-untyped-def]
        self.interactions += 1
        locator.select_option(label=label)

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
        from firm_portal.two_factor import two_factor_required
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
def journey(page: Page, live_server) -> Iterator:  # type: ignore[no-untyped-def]
    page.set_default_timeout(10_000)
    journeys: list[Journey] = []

    def start(name: str) -> Journey:
        journeys.append(Journey(page, live_server.url, name))
        return journeys[-1]

    yield start
    for done in journeys:
        print(f"\n{done.folder.name}: {done.interactions} interactions")
