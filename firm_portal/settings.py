"""One settings module, driven by environment variables (strictly parsed).

Without DATABASE_URL / REDIS_URL the app runs on an embedded default: SQLite,
Celery tasks executed in-process after commit, mail written to the console or
to a folder. That is what `make run` uses. Production sets DJANGO_ENV=production
and provides every secret through the environment (or a `*_FILE` path).
"""

from datetime import timedelta
from pathlib import Path

import phonenumbers
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from firm_portal.env import StrictEnv
from firm_portal.log_format import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

# Reads VAR, or the file named by VAR_FILE (Docker/Kubernetes secrets); booleans
# must be one of true/false/1/0/yes/no/on/off, anything else refuses to start.
env = StrictEnv()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be development, test or production, not {DJANGO_ENV!r}"
    )
IS_PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=not IS_PRODUCTION)
if IS_PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")  # no default: fail loudly
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-never-used-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "firm_portal",
    "clients",
    "collaboration",
    "ledger",
    "licensing",
    "notifications",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost but one, so redirects and error pages of the others get it too.
    "firm_portal.middleware.PrivateNoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "firm_portal.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Outside the views and the middleware below, so it sees their error pages.
    "firm_portal.middleware.HtmxErrorPageMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "firm_portal.middleware.SessionTimeoutMiddleware",
    # After the password, a code (or setting up an app) before any page.
    "firm_portal.two_factor.middleware.TwoFactorMiddleware",
    # An ended person answering another firm's invitations: nothing else
    # (firm_portal/offers_only.py).
    "firm_portal.offers_only.OffersOnlyMiddleware",
    # Logs firm pages tried by someone who is no consultant (clients/middleware.py).
    "clients.middleware.NotAConsultantLedgerMiddleware",
    # Last, as django-axes requires: it turns a lockout into the 429 page.
    "axes.middleware.AxesMiddleware",
]

if IS_PRODUCTION:
    # gunicorn serves collected static files itself; runserver and the test
    # live server use django.contrib.staticfiles instead.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "firm_portal.urls"
WSGI_APPLICATION = "firm_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "firm_portal.context_processors.navigation",
            ],
        },
    },
]

# Production runs on PostgreSQL only: SQLite ignores the row locks, and the
# ledger's append-only trigger and the search indexes are PostgreSQL's. A
# missing DATABASE_URL stops the process instead of writing to a file in var/.
if IS_PRODUCTION:
    if not env.str("DATABASE_URL", default=""):
        raise ImproperlyConfigured("DATABASE_URL is required in production (a PostgreSQL URL)")
    DATABASES = {"default": env.db("DATABASE_URL")}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must be a PostgreSQL URL in production")
else:
    DATABASES = {
        "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Per connection, so the app behaves the same on any server: no JIT (its
    # compile time outweighs the short queries of a page once plans get big),
    # and random reads priced for a database that fits in memory or on SSD,
    # so small joins probe indexes instead of reading whole tables.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off -c random_page_cost=1.1"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "firm_portal.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username or address is refused before checking.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes, also on Django admin's login; firm_portal/
# login_throttle.py): failed logins are counted per account (the normalised
# e-mail typed) and per client address, each with its own limit, then a
# one-hour cool-off. 10 wrong passwords an hour lock that account from every
# address and no other; 100 an hour from one address lock that address (far
# above what a whole office mistypes, so a shared office address is not locked
# out by its own staff).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=100)
AXES_ACCOUNT_FAILURE_LIMIT = env.int("AXES_ACCOUNT_FAILURE_LIMIT", default=10)
if AXES_FAILURE_LIMIT < 1 or AXES_ACCOUNT_FAILURE_LIMIT < 1:
    raise ImproperlyConfigured(
        "AXES_FAILURE_LIMIT and AXES_ACCOUNT_FAILURE_LIMIT must be 1 or more"
    )
AXES_COOLOFF_TIME = timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "firm_portal.login_throttle.login_username"
AXES_HANDLER = "firm_portal.login_throttle.AccountAndAddressHandler"
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "firm_portal/locked_out.html"
# The address counted is the client's (firm_portal/client_address.py): behind
# TRUSTED_PROXY_COUNT reverse proxies (the production TLS proxy: 1) the one the
# outermost proxy wrote into X-Forwarded-For, otherwise REMOTE_ADDR; without a
# count the header is ignored, so a client cannot pick its own address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")
if env.str("AXES_IPWARE_PROXY_COUNT", default=""):
    # It used to be read here and then ignored by django-axes (no ipware):
    # refuse it rather than let a deployment believe it is in effect.
    raise ImproperlyConfigured(
        "AXES_IPWARE_PROXY_COUNT is replaced by TRUSTED_PROXY_COUNT: the number of reverse "
        "proxies in front of the app (1 behind one TLS proxy)"
    )
AXES_CLIENT_IP_CALLABLE = "firm_portal.client_address.client_address"
AXES_VERBOSE = False

# Two-factor authentication (django-otp: TOTP apps + recovery codes), required
# for everyone who can grant access to others (firm_portal/two_factor/services.py). Wrong codes
# back off exponentially per device (1, 2, 4, … seconds).
OTP_TOTP_ISSUER = "Byråportalen"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # support never sees a user's secret

# Sessions end after 30 minutes without activity and 12 hours after login.
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_COOKIE_AGE = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", "Svenska"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "firm_portal.static_storage.HashedStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
# Uploaded evidence (support's scanned manual-coupling forms) in MEDIA_ROOT
# (the "media" volume in docker-compose.yml), which no URL serves (no
# MEDIA_URL route; WhiteNoise serves STATIC_ROOT only): staff with the
# manual-coupling permission download through a view. No location of its
# own, so it follows MEDIA_ROOT (and tests' overrides of it).
STORAGES["private"] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
SCANNED_FORM_MAX_BYTES = env.int("SCANNED_FORM_MAX_BYTES", default=10 * 1024 * 1024)
# Flow 10: a firm's agreement templates (PuB-avtal, uppdragsavtal), PDF only,
# in the same private storage.
AGREEMENT_MAX_BYTES = env.int("AGREEMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Days after "Be om bekräftelse" when the client's sysadmins are reminded of
# agreements still unconfirmed on their to-do card (one reminder per entry).
AGREEMENT_REMINDER_DAYS = tuple(
    env.list("AGREEMENT_REMINDER_DAYS", cast=int, default=[3, 10])  # type: ignore[arg-type]
)

# --- Security -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # htmx gets the token from <body hx-headers>, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
}
if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Cache ----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "firm_portal.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="byraportalen"),
        }
    }
    if DJANGO_ENV == "test":
        # Parallel test processes share one Redis database: each keeps to its
        # own keys, and clears only those between tests (tests/conftest.py).
        CACHES["default"]["KEY_PREFIX"] += "-" + env.str("PYTEST_XDIST_WORKER", default="main")
    # Sessions are read from Redis and written through to PostgreSQL: no
    # database query per request to find the session, and nothing is lost
    # when Redis restarts (it keeps nothing on disk). Ending a user's
    # sessions does not depend on this: it changes the auth hash stored in
    # them (User.session_version).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------
# Without a broker the embedded default runs tasks in-process (still after
# commit, still through the outbox), so `make run` needs no Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
# Tests run tasks in-process too, except those that start a real worker.
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL or DJANGO_ENV == "test"
)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Fail fast when the broker is down at publish time: the outbox keeps the
# message and the sweeper enqueues it later.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "socket_connect_timeout": 2}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "notifications.sweep_outbox": {
        "task": "notifications.sweep_outbox",
        "schedule": 60.0,
    },
    "collaboration.activate_scheduled_couplings": {
        "task": "collaboration.activate_scheduled_couplings",
        # Shortly after midnight Stockholm time, and hourly as a safety net.
        "schedule": crontab(minute=5),
    },
    "collaboration.expire_stale_requests": {
        "task": "collaboration.expire_stale_requests",
        "schedule": crontab(minute=15),
    },
    "collaboration.perform_due_firm_changes": {
        "task": "collaboration.perform_due_firm_changes",
        # "Byte av byrå" on its date: shortly after midnight Stockholm time,
        # hourly as a safety net (each change is performed once).
        "schedule": crontab(minute=10),
    },
    "collaboration.expire_stale_firm_changes": {
        "task": "collaboration.expire_stale_firm_changes",
        "schedule": crontab(minute=25),
    },
    "collaboration.remind_agreement_asks": {
        "task": "collaboration.remind_agreement_asks",
        "schedule": crontab(hour=8, minute=30),
    },
    "collaboration.send_reminders": {
        "task": "collaboration.send_reminders",
        # Hourly; each reminder is claimed once (notifications.Reminder), so
        # a second or overlapping run sends nothing more.
        "schedule": crontab(minute=25),
    },
    "clients.end_expired_access": {
        "task": "clients.end_expired_access",
        # Daily just after midnight Stockholm time; access already stops at
        # the end date (live_membership_q), this removes the rows and tells the firm.
        "schedule": crontab(hour=0, minute=20),
    },
    "collaboration.access_reviews_daily": {
        "task": "collaboration.access_reviews_daily",
        # Starts the quarter's review for each firm (when due) and reminds
        # reviewers; idempotent, so a missed or repeated run is harmless.
        "schedule": crontab(hour=6, minute=40),
    },
    "notifications.purge_sent_bodies": {
        "task": "notifications.purge_sent_bodies",
        # Every ten minutes, at most OUTBOX_PURGE_MAX_BATCHES × OUTBOX_PURGE_BATCH_SIZE
        # rows each (50,000 by default): a backlog drains within hours, and
        # no run holds a lock or the worker for long.
        "schedule": crontab(minute="*/10"),
    },
    "licensing.run_monthly_invoicing": {
        "task": "licensing.run_monthly_invoicing",
        # The 1st of every month at 03:00 Stockholm time, for the month that
        # just ended. Idempotent per payer and month, so a re-run is harmless.
        "schedule": crontab(day_of_month="1", hour="3", minute="0"),
    },
}

# --- Mail and SMS ---------------------------------------------------------
# Django 6.1 mailers. Production: SMTP (EMAIL_HOST …). Embedded default: one
# file per message in var/mail/ (EMAIL_BACKEND=console prints instead).
_EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "file": "notifications.mail.file.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
EMAIL_BACKEND_NAME = env.str("EMAIL_BACKEND", default="smtp" if IS_PRODUCTION else "file")
if EMAIL_BACKEND_NAME not in _EMAIL_BACKENDS:
    raise ImproperlyConfigured(f"EMAIL_BACKEND must be one of {sorted(_EMAIL_BACKENDS)}")
_EMAIL_OPTIONS: dict[str, object] = {}
if EMAIL_BACKEND_NAME == "smtp":
    _EMAIL_OPTIONS = {
        "host": env.str("EMAIL_HOST", default="localhost"),
        "port": env.int("EMAIL_PORT", default=25),
        "username": env.str("EMAIL_HOST_USER", default=""),
        "password": env.str("EMAIL_HOST_PASSWORD", default=""),
        "use_tls": env.bool("EMAIL_USE_TLS", default=False),
        "timeout": env.int("EMAIL_TIMEOUT", default=10),
    }
elif EMAIL_BACKEND_NAME == "file":
    _EMAIL_OPTIONS = {
        "file_path": str(env.path("EMAIL_FILE_PATH", default=BASE_DIR / "var" / "mail"))
    }
MAILERS = {"default": {"BACKEND": _EMAIL_BACKENDS[EMAIL_BACKEND_NAME], "OPTIONS": _EMAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Byråportalen <noreply@byraportalen.se>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- SMS (and the outbox lease) -------------------------------------------
# SMS_BACKEND is a short name (file, console, locmem, 46elks) or a dotted path
# to a notifications.sms backend class. Production sends through 46elks and
# refuses to start without its API credentials rather than fail every SMS
# later. Embedded default: a file per SMS in var/sms/ (SMS_FILE_PATH), also
# printed to the console.
SMS_BACKEND = env.str("SMS_BACKEND", default="46elks" if IS_PRODUCTION else "file")
SMS_FILE_PATH = str(env.path("SMS_FILE_PATH", default=BASE_DIR / "var" / "sms"))
SMS_FROM = env.str("SMS_FROM", default="Byraportal")
SMS_46ELKS_URL = env.str("SMS_46ELKS_URL", default="https://api.46elks.com/a1/sms")
SMS_46ELKS_USERNAME = env.str("SMS_46ELKS_USERNAME", default="")
SMS_46ELKS_PASSWORD = env.str("SMS_46ELKS_PASSWORD", default="")
SMS_TIMEOUT_SECONDS = env.int("SMS_TIMEOUT_SECONDS", default=10)
if SMS_TIMEOUT_SECONDS <= 0:
    raise ImproperlyConfigured("SMS_TIMEOUT_SECONDS must be a positive number of seconds")
if IS_PRODUCTION and SMS_BACKEND in {"46elks", "notifications.sms.elks46.SmsBackend"}:
    if not (SMS_46ELKS_USERNAME and SMS_46ELKS_PASSWORD):
        raise ImproperlyConfigured(
            "SMS_BACKEND is 46elks: set SMS_46ELKS_USERNAME and SMS_46ELKS_PASSWORD "
            "(or SMS_BACKEND=console to run without SMS)"
        )
    if not SMS_46ELKS_URL.startswith("https://"):
        raise ImproperlyConfigured("SMS_46ELKS_URL must be https:// in production")
# How long a worker owns a message it is sending. A claim whose worker died
# is taken over after this, so it must outlast the slowest send (the task
# time limit, CELERY_TASK_TIME_LIMIT) or a slow send could be doubled.
OUTBOX_CLAIM_SECONDS = env.int("OUTBOX_CLAIM_SECONDS", default=300)
# Messages per "send_messages" task (one mail connection each); a batch must
# fit in CELERY_TASK_SOFT_TIME_LIMIT with room to spare.
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=100)
# Retention: a sent message's subject and body (personal data) are emptied
# after this many days; its metadata stays. Purged by beat in batches of
# OUTBOX_PURGE_BATCH_SIZE rows, at most OUTBOX_PURGE_MAX_BATCHES a run.
OUTBOX_BODY_RETENTION_DAYS = env.int("OUTBOX_BODY_RETENTION_DAYS", default=30)
OUTBOX_PURGE_BATCH_SIZE = env.int("OUTBOX_PURGE_BATCH_SIZE", default=1000)
OUTBOX_PURGE_MAX_BATCHES = env.int("OUTBOX_PURGE_MAX_BATCHES", default=50)
if OUTBOX_BODY_RETENTION_DAYS < 1 or OUTBOX_PURGE_BATCH_SIZE < 1 or OUTBOX_PURGE_MAX_BATCHES < 1:
    raise ImproperlyConfigured(
        "OUTBOX_BODY_RETENTION_DAYS, OUTBOX_PURGE_BATCH_SIZE and OUTBOX_PURGE_MAX_BATCHES "
        "must be at least 1"
    )
if IS_PRODUCTION and OUTBOX_CLAIM_SECONDS <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("OUTBOX_CLAIM_SECONDS must be longer than CELERY_TASK_TIME_LIMIT")

# Countries whose mobile numbers are accepted (ISO 3166 region codes, as
# phonenumbers names them): a number elsewhere is refused at the field and
# never texted. Per firm and day (Europe/Stockholm) at most this many SMS go
# out; beyond it the e-mail still goes and the SMS is held for support.
SMS_ALLOWED_REGIONS = frozenset(
    code.strip().upper()
    for code in env.str("SMS_ALLOWED_REGIONS", default="SE,NO,DK,FI,IS").split(",")
    if code.strip()
)
_unknown_regions = SMS_ALLOWED_REGIONS - phonenumbers.SUPPORTED_REGIONS
if not SMS_ALLOWED_REGIONS or _unknown_regions:
    raise ImproperlyConfigured(
        "SMS_ALLOWED_REGIONS must be region codes such as SE,NO,DK,FI,IS"
        + (f", not {', '.join(sorted(_unknown_regions))}" if _unknown_regions else "")
    )
SMS_DAILY_LIMIT_PER_FIRM = env.int("SMS_DAILY_LIMIT_PER_FIRM", default=200)
if SMS_DAILY_LIMIT_PER_FIRM < 0:
    raise ImproperlyConfigured("SMS_DAILY_LIMIT_PER_FIRM must be 0 or more")

# --- Domain settings ------------------------------------------------------
COLLABORATION_REQUEST_TTL_DAYS = env.int("COLLABORATION_REQUEST_TTL_DAYS", default=30)
# Requests a firm may send to one subscription in 24 hours (each e-mails the
# customer's sysadmins and is logged in their ledger).
COLLABORATION_REQUESTS_PER_DAY = env.int("COLLABORATION_REQUESTS_PER_DAY", default=3)
if COLLABORATION_REQUESTS_PER_DAY < 1:
    raise ImproperlyConfigured("COLLABORATION_REQUESTS_PER_DAY must be 1 or more")
INVITATION_TTL_DAYS = env.int("INVITATION_TTL_DAYS", default=14)
# Reminders of unanswered requests, invitations and welcome links
# (collaboration/reminders/): this many days after sending ("3,10"), and once
# this many days before the item expires.
REMINDER_DAYS = env.int_list("REMINDER_DAYS", default=[3, 10])
REMINDER_DAYS_BEFORE_EXPIRY = env.int("REMINDER_DAYS_BEFORE_EXPIRY", default=2)
if REMINDER_DAYS_BEFORE_EXPIRY < 0:
    raise ImproperlyConfigured("REMINDER_DAYS_BEFORE_EXPIRY must be 0 or more (0: none)")
# "Glömt lösenordet?" needs no login: at most this many e-mails per account an hour.
# "Skicka igen" (invitations, join offers, the new customer's welcome): at most
# this many resends per item and per recipient a day (firm_portal/resend_limits.py).
RESENDS_PER_ITEM_PER_DAY = env.int("RESENDS_PER_ITEM_PER_DAY", default=3)
RESENDS_PER_RECIPIENT_PER_DAY = env.int("RESENDS_PER_RECIPIENT_PER_DAY", default=5)
if RESENDS_PER_ITEM_PER_DAY < 1 or RESENDS_PER_RECIPIENT_PER_DAY < 1:
    raise ImproperlyConfigured(
        "RESENDS_PER_ITEM_PER_DAY and RESENDS_PER_RECIPIENT_PER_DAY must be 1 or more"
    )
PASSWORD_RESET_EMAILS_PER_HOUR = env.int("PASSWORD_RESET_EMAILS_PER_HOUR", default=3)
if PASSWORD_RESET_EMAILS_PER_HOUR < 1:
    raise ImproperlyConfigured("PASSWORD_RESET_EMAILS_PER_HOUR must be 1 or more")
# Denied attempts are counted per actor, subscription and window; the ledger
# gets one "Nekad åtkomst" event per window (ledger.services).
DENIED_ATTEMPTS_WINDOW_SECONDS = env.int("DENIED_ATTEMPTS_WINDOW_SECONDS", default=3600)
if DENIED_ATTEMPTS_WINDOW_SECONDS <= 0:
    raise ImproperlyConfigured("DENIED_ATTEMPTS_WINDOW_SECONDS must be a positive number")
# Åtkomstgranskning (flow 9): a review per firm every quarter (beat), due
# this many days after it starts; reviewers with undecided rows are reminded
# every ACCESS_REVIEW_REMINDER_DAYS; completion applies the decisions in
# Celery tasks of ACCESS_REVIEW_BATCH_SIZE rows each.
ACCESS_REVIEW_QUARTERLY = env.bool("ACCESS_REVIEW_QUARTERLY", default=True)
ACCESS_REVIEW_DUE_DAYS = env.int("ACCESS_REVIEW_DUE_DAYS", default=30)
ACCESS_REVIEW_REMINDER_DAYS = env.int("ACCESS_REVIEW_REMINDER_DAYS", default=7)
ACCESS_REVIEW_BATCH_SIZE = env.int("ACCESS_REVIEW_BATCH_SIZE", default=200)
if min(ACCESS_REVIEW_DUE_DAYS, ACCESS_REVIEW_REMINDER_DAYS, ACCESS_REVIEW_BATCH_SIZE) < 1:
    raise ImproperlyConfigured(
        "ACCESS_REVIEW_DUE_DAYS, ACCESS_REVIEW_REMINDER_DAYS and ACCESS_REVIEW_BATCH_SIZE "
        "must be 1 or more"
    )

# --- Invoices ---------------------------------------------------------------
# Our own company as printed on every invoice (copied into each invoice when
# it is issued, so a later change does not alter old invoices).
INVOICE_ISSUER = {
    "name": env.str("INVOICE_ISSUER_NAME", default="Byråportalen AB"),
    "org_number": env.str("INVOICE_ISSUER_ORG_NUMBER", default="559261-4373"),
    "vat_number": env.str("INVOICE_ISSUER_VAT_NUMBER", default="SE559261437301"),
    "street": env.str("INVOICE_ISSUER_STREET", default="Box 1234"),
    "postal_code": env.str("INVOICE_ISSUER_POSTAL_CODE", default="111 22"),
    "city": env.str("INVOICE_ISSUER_CITY", default="Stockholm"),
    "email": env.str("INVOICE_ISSUER_EMAIL", default="faktura@byraportalen.se"),
    "phone": env.str("INVOICE_ISSUER_PHONE", default="08-123 456 00"),
    "bankgiro": env.str("INVOICE_ISSUER_BANKGIRO", default="505-1057"),
}
INVOICE_PAYMENT_DAYS = env.int("INVOICE_PAYMENT_DAYS", default=30)
# Invoice numbers continue from here (the first invoice gets START + 1).
INVOICE_NUMBER_START = env.int("INVOICE_NUMBER_START", default=100000)
if INVOICE_PAYMENT_DAYS < 0 or INVOICE_NUMBER_START < 0:
    raise ImproperlyConfigured("INVOICE_PAYMENT_DAYS and INVOICE_NUMBER_START must be >= 0")

# --- Operations: logs, request ids, health, metrics, rollouts (issue 19) ---
# Kept together so the rest of this file merges without touching it.

# JSON lines in production, readable text otherwise (firm_portal/log_format.py);
# both redact personal data and carry the request id and user id.
LOG_JSON = env.bool("LOG_JSON", default=IS_PRODUCTION)
LOGGING = logging_config(json_lines=LOG_JSON, level=env.str("LOG_LEVEL", default="INFO"))

# Old keys that still verify sessions, password-reset and invitation links
# while SECRET_KEY is rotated (README, "Rotating secrets"); comma-separated.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

# /healthz, /readyz and /metrics are answered before any other middleware:
# no host check, HTTPS redirect, session, login, ledger or request log.
MIDDLEWARE.insert(0, "firm_portal.monitoring.OperatorEndpointsMiddleware")
# Requests by view, status and time, and queries per request (after static files).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
    "firm_portal.metrics.RequestMetricsMiddleware",
)
# The request id and user id for logs, tasks and outbox rows; the user is
# already loaded by the session timeout middleware.
MIDDLEWARE.insert(
    MIDDLEWARE.index("firm_portal.middleware.SessionTimeoutMiddleware") + 1,
    "firm_portal.request_context.RequestContextMiddleware",
)

if REDIS_URL:
    # Sessions fall back to PostgreSQL when Redis fails (cached_db); these
    # keep a Redis that does not answer from holding every request.
    CACHES["default"]["OPTIONS"] = {"socket_connect_timeout": 1, "socket_timeout": 1}

# /readyz: the oldest unsent outbox message may be at most this old.
READINESS_OUTBOX_MAX_AGE_SECONDS = env.int("READINESS_OUTBOX_MAX_AGE_SECONDS", default=900)
# /metrics (web) answers only a scraper that sends `Authorization: Bearer
# METRICS_TOKEN` or comes from an address in METRICS_ALLOWED_IPS (exact
# addresses or networks such as 10.0.0.0/8); with neither set it is 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
# Celery workers serve their metrics on this port of their own (0: none).
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)

# Shutdown without losing a task: SIGTERM (with REMAP_SIGTERM=SIGQUIT, set in
# the image) lets running tasks finish for this long, then hands the rest
# back to the broker (acks_late), where another worker picks them up.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = env.int("CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT", default=45)
# A lost broker connection cancels running tasks: the broker redelivers them
# anyway (acks_late), and every task is idempotent.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Redis redelivers a task that is not acknowledged within this time. Longer
# than the longest task (the invoicing run, 1 h) and the longest retry
# countdown (1 h), or those would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = 2 * 60 * 60

if DJANGO_ENV == "test":
    # manage.py lintmigrations (django-migration-linter, a dev dependency):
    # make test refuses a migration that old code cannot run against.
    INSTALLED_APPS.append("django_migration_linter")
