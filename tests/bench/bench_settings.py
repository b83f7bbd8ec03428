"""Settings for `make bench` only (never for the app itself).

The benchmark runs the production settings (DJANGO_ENV=production and the
other variables come from the environment, see tests/bench/bench_pages.py)
with two bench-only pages added by `tests.bench.bench_urls`.

Deliberately NOT changed: SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE stay
True as in production. The load generator does not keep a cookie jar; it
sends the session and CSRF cookies itself, and a server never looks at the
Secure flag of a cookie it receives, so the flags cost nothing over plain
HTTP on loopback.
"""

from firm_portal.settings import *  # noqa: F403
from firm_portal.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "tests.bench.bench_urls"

# The bare 50-row template lives next to the benchmark.
TEMPLATES = [
    {**TEMPLATES[0], "DIRS": [BASE_DIR / "templates", BASE_DIR / "tests" / "bench" / "templates"]}
]

# collectstatic for the benchmark writes here, not into the app's var/staticfiles.
STATIC_ROOT = BASE_DIR / "var" / "bench" / "staticfiles"
