"""Settings shared by every environment.

Every value that differs between machines comes from an environment variable
(12-factor); the README's configuration table lists them all. The embedded default
(no variables set) is SQLite, the local payment gateway, the ORM job broker and the
database cache: a complete marketplace without any service running.
"""

from pathlib import Path

import environ

from marketplace.core.logs import log_formatter

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY")
# Old keys, still accepted when checking signatures (sessions, password reset links, signed
# cookies) while a new SECRET_KEY takes over: docs/operations.md, "Rotating secrets".
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# The site's name in the Wagtail admin and in the sign-up, sign-in and password emails.
SITE_NAME = env.str("SITE_NAME", default="Tidy Nest")

INSTALLED_APPS = [
    # Domain: models, services, selectors.
    "marketplace.core",
    "marketplace.accounts",
    "marketplace.vendors",
    "marketplace.catalog",
    "marketplace.availability",
    "marketplace.bookings",
    "marketplace.payments",
    "marketplace.disputes",
    "marketplace.reviews",
    "marketplace.notifications",
    # Faces.
    "storefront",
    "backoffice",
    "api",
    "ninja",  # serves the API docs' Swagger UI from our own static files, not a CDN
    # Wagtail.
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Identity.
    "allauth",
    "allauth.account",
    # Jobs.
    "django_q",
    # Django.
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "marketplace.core.request_id.RequestIdMiddleware",  # first: every log line of the request carries its id
    "marketplace.core.metrics.RequestMetricsMiddleware",  # times the whole answer, by route
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "storefront.security.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "api.errors.JsonMethodNotAllowedMiddleware",
    "api.uploads.UploadLimitMiddleware",  # before the Idempotency-Key: evidence uploads are parsed, not read whole
    "api.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "storefront.context_processors.navigation",
            ],
        },
    },
]


# --- Database ---------------------------------------------------------------
# DATABASE_URL selects PostgreSQL in production and CI; without it the embedded
# default is a SQLite file. SQLite runs in WAL mode and opens every transaction with
# BEGIN IMMEDIATE, so a check-then-insert (the double-booking check) is serialized.
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": ("PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON"),
        }
    )
else:
    # Persistent connections: a new connection per request costs 6-8x (RECIPES.md).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    INSTALLED_APPS.append("django.contrib.postgres")

DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Cache (rate limits, idempotency replays are in the database) -------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    # Shared by every web process (unlike local memory), so rate limits hold
    # across gunicorn workers. Migration core 0002 creates the table (`manage.py migrate`).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "marketplace_cache",
        }
    }


# --- Identity -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    # Platform admins (role "admin") may enter the Wagtail admin, where the back office lives,
    # and hold every named staff permission (marketplace.accounts.permissions).
    "backoffice.permissions.PlatformAdminAccessBackend",
    "marketplace.accounts.backends.AdminRoleBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_ADAPTER = "storefront.accounts.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "storefront.forms.SignupExtraForm"
ACCOUNT_FORMS = {"signup": "storefront.accounts.SignupForm"}  # saved by accounts.services.user_register
ACCOUNT_LOGOUT_ON_GET = False
# Failed sign-ins are limited by allauth's "login_failed" rate limit (10 a minute per
# address, 5 in 5 minutes per account), shared by the storefront, the Wagtail admin
# (backoffice.forms.AdminLoginForm) and the API login (accounts.services.user_authenticate).
# Its per-address count must see the client behind our proxies, like the API's limits.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("NUM_PROXIES", default=0)

# API tokens: a short-lived JWT access token and a rotating, revocable refresh token.
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="") or SECRET_KEY
JWT_ACCESS_TOKEN_MINUTES = env.int("JWT_ACCESS_TOKEN_MINUTES", default=15)
JWT_REFRESH_TOKEN_DAYS = env.int("JWT_REFRESH_TOKEN_DAYS", default=30)


# --- Internationalization ---------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True


# --- Static and media files (served by the app itself: no CDN) ----------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
# Uploaded media is served by nginx in production (site/nginx.conf.example). Where nothing
# stands in front of the app (the demo, runserver) the app serves MEDIA_ROOT itself: slow,
# and meant for one person's machine, so it is a setting of its own and off by default.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # Files only their owners may see (dispute evidence): outside MEDIA_ROOT, never served by
    # nginx or SERVE_MEDIA, only by views that check who asks.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "private")},
    },
}


# --- Request bodies ----------------------------------------------------------------
# The largest request body the app reads (JSON, form fields), in MB: Django's
# DATA_UPLOAD_MAX_MEMORY_SIZE. A larger one is refused with 413 (a JSON error in the API, a
# page on the site). Files uploaded in the Wagtail admin are streamed to disk and do not
# count. nginx's client_max_body_size says the same (site/nginx.conf.example): change both.
REQUEST_BODY_LIMIT_MB = env.float("REQUEST_BODY_LIMIT_MB", default=2.5)
DATA_UPLOAD_MAX_MEMORY_SIZE = int(REQUEST_BODY_LIMIT_MB * 1024 * 1024)


# --- Email --------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Tidy Nest <hello@tidynest.test>")


# --- Jobs (django-q2) -----------------------------------------------------------------
# `retry` must exceed `timeout`: the ORM broker delivers a task again after `retry`
# seconds, so every task is written to be safe to run twice.
Q_CLUSTER = {
    "name": "marketplace",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 30,
    "retry": 60,
    "max_attempts": 5,
    "catch_up": False,
    # Successful results are not kept (-1): nothing reads them, and keeping the last 250 made
    # django-q2's monitor lock and load them for every job, the largest cost of a job in the
    # money benchmark (docs/operations.md, "Scaling out"). Failures are always kept: the back
    # office's failed-jobs screen lists and retries them.
    "save_limit": env.int("Q_SAVE_LIMIT", default=-1),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"


# --- Wagtail ------------------------------------------------------------------------
WAGTAIL_SITE_NAME = SITE_NAME
WAGTAILADMIN_USER_LOGIN_FORM = "backoffice.forms.AdminLoginForm"
WAGTAILADMIN_BASE_URL = SITE_URL
# The admin asks nothing of outside hosts: no "new Wagtail release" check from each browser
# (releases.wagtail.org) and no avatars from Gravatar (staff emails hashed to a third party).
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
OPENSEARCH_URL = env.str("OPENSEARCH_URL", default="")
# Prefix of every OpenSearch index name: Wagtail's page indexes and the services' index
# ("<prefix>services", catalog.search.opensearch).
OPENSEARCH_INDEX_PREFIX = env.str("OPENSEARCH_INDEX_PREFIX", default="marketplace_")
# Seconds one OpenSearch request may take (Wagtail's backend and the services' engine).
OPENSEARCH_TIMEOUT_SECONDS = env.float("OPENSEARCH_TIMEOUT_SECONDS", default=5.0)
if OPENSEARCH_URL:
    WAGTAILSEARCH_BACKENDS = {
        "default": {
            "BACKEND": "wagtail.search.backends.opensearch3",
            "URLS": [OPENSEARCH_URL],
            "INDEX_PREFIX": OPENSEARCH_INDEX_PREFIX,
            "TIMEOUT": OPENSEARCH_TIMEOUT_SECONDS,
        }
    }
else:
    WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# The engine that finds services (marketplace/catalog/search/engine.py): "database" (PostgreSQL's
# own indexed columns, or SQLite FTS5) or "opensearch"; empty: OpenSearch when OPENSEARCH_URL is
# set, else the database. Wagtail's own search (above) finds pages.
SEARCH_ENGINE = env.str("SEARCH_ENGINE", default="")
# A search result's next available time is worked out again when older than this.
SEARCH_NEXT_AVAILABLE_TTL_SECONDS = env.int("SEARCH_NEXT_AVAILABLE_TTL_SECONDS", default=600)


# --- Operations (docs/operations.md) -------------------------------------------------------
# /ready answers 503 when the database, cache, broker or search backend has not answered
# within this many seconds (the checks run at once, so this bounds the whole probe).
READY_CHECK_TIMEOUT_SECONDS = env.float("READY_CHECK_TIMEOUT_SECONDS", default=2.0)
# /metrics (Prometheus) answers a request with "Authorization: Bearer <METRICS_TOKEN>", or one made
# directly (not through nginx) from an address in METRICS_ALLOWED_IPS; with neither set it is off (404).
# Multiprocess counting needs PROMETHEUS_MULTIPROC_DIR in the environment (marketplace/core/metrics.py).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])


# --- Marketplace rules ------------------------------------------------------------------
MARKETPLACE_CURRENCY = env.str("MARKETPLACE_CURRENCY", default="USD")
# Platform commission in basis points (1500 = 15%); a category or vendor may override it.
PLATFORM_COMMISSION_BPS = env.int("PLATFORM_COMMISSION_BPS", default=1500)
# The least the platform keeps of any booking, in minor units (0: no minimum); a category may override it.
PLATFORM_MINIMUM_FEE_MINOR = env.int("PLATFORM_MINIMUM_FEE_MINOR", default=0)
# Support staff may refund at most this much at once (minor units); finance and admins, any amount.
STAFF_REFUND_LIMIT_MINOR = env.int("STAFF_REFUND_LIMIT_MINOR", default=20_000)
# Completed bookings above this amount (minor units) wait for an admin to approve the payout.
PAYOUT_APPROVAL_THRESHOLD_MINOR = env.int("PAYOUT_APPROVAL_THRESHOLD_MINOR", default=100_000)
# Escrow is released automatically this many days after a booking ends, if no dispute is open.
ESCROW_AUTO_RELEASE_DAYS = env.int("ESCROW_AUTO_RELEASE_DAYS", default=3)
# Disputes: the other side answers within this many hours (one reminder this long before the
# end); unanswered, the dispute goes to staff. Evidence: photos (JPEG, PNG, WebP) and PDFs.
DISPUTE_RESPONSE_HOURS = env.int("DISPUTE_RESPONSE_HOURS", default=72)
DISPUTE_REMINDER_HOURS = env.int("DISPUTE_REMINDER_HOURS", default=24)
DISPUTE_EVIDENCE_MAX_MB = env.float("DISPUTE_EVIDENCE_MAX_MB", default=5)
DISPUTE_EVIDENCE_MAX_FILES = env.int("DISPUTE_EVIDENCE_MAX_FILES", default=6)  # per side
# Organizers' documents (insurance, certifications, ID): PDF, JPEG or PNG up to this size; one
# reminder this many days before a document expires (vendors.tasks.vendor_documents_expiry).
VENDOR_DOCUMENT_MAX_MB = env.float("VENDOR_DOCUMENT_MAX_MB", default=10)
VENDOR_DOCUMENT_REMINDER_DAYS = env.int("VENDOR_DOCUMENT_REMINDER_DAYS", default=14)
# A booking request that is not paid within this many minutes expires and frees its slot.
BOOKING_PAYMENT_WINDOW_MINUTES = env.int("BOOKING_PAYMENT_WINDOW_MINUTES", default=30)
# A paid request the vendor does not answer within this many hours expires and is refunded.
BOOKING_RESPONSE_WINDOW_HOURS = env.int("BOOKING_RESPONSE_WINDOW_HOURS", default=48)
# The default booking rules of organizers who do not set their own (availability.limits.booking_rules):
# the minimum notice in minutes, how many days ahead a customer may book, how far apart offered
# starts are (15, 30, 45, 60, 90 or 120 minutes), and the most jobs starting on one day (0 = no cap).
BOOKING_MIN_NOTICE_MINUTES = env.int("BOOKING_MIN_NOTICE_MINUTES", default=120)
BOOKING_HORIZON_DAYS = env.int("BOOKING_HORIZON_DAYS", default=180)
BOOKING_SLOT_STEP_MINUTES = env.int("BOOKING_SLOT_STEP_MINUTES", default=30)
BOOKING_DAILY_CAP = env.int("BOOKING_DAILY_CAP", default=0)
# Organizers' external calendars (availability.calendars): each is read again every
# CALENDAR_REFRESH_MINUTES; one read may take CALENDAR_FETCH_TIMEOUT_SECONDS in all and
# CALENDAR_MAX_BYTES of calendar. Addresses that resolve to private, loopback, link-local or
# reserved networks are refused unless CALENDAR_FETCH_ALLOW_PRIVATE (tests, local demos).
CALENDAR_REFRESH_MINUTES = env.int("CALENDAR_REFRESH_MINUTES", default=30)
CALENDAR_FETCH_TIMEOUT_SECONDS = env.int("CALENDAR_FETCH_TIMEOUT_SECONDS", default=15)
CALENDAR_MAX_BYTES = env.int("CALENDAR_MAX_BYTES", default=2 * 1024 * 1024)
CALENDAR_FETCH_ALLOW_PRIVATE = env.bool("CALENDAR_FETCH_ALLOW_PRIVATE", default=False)
# A production geocoder for places people type (core.places): the dotted path of a callable
# (text) -> Place | None, asked before the offline ZIP code gazetteer. Empty: the gazetteer only.
PLACE_GEOCODER = env.str("PLACE_GEOCODER", default="")
PAYMENTS_GATEWAY = env.str("PAYMENTS_GATEWAY", default="local")
# Stripe (PAYMENTS_GATEWAY=stripe): the platform's secret key; STRIPE_API_BASE points the SDK
# elsewhere than api.stripe.com (tests: a localstripe server on 127.0.0.1).
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
# Where the checkout loads Stripe.js for the 3-D Secure step (PAYMENTS_GATEWAY=stripe with a
# publishable key only); its origin is then allowed by the storefront's Content-Security-Policy.
STRIPE_JS_URL = env.str("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
# How long one Stripe call may take before it counts as a timeout (retried later, same key).
STRIPE_TIMEOUT_SECONDS = env.int("STRIPE_TIMEOUT_SECONDS", default=20)
# Webhook signing secrets (whsec_...), comma-separated: two while a secret is rotated.
STRIPE_WEBHOOK_SECRETS = env.list("STRIPE_WEBHOOK_SECRETS", default=[])
# A signed webhook older than this is refused (replay protection), as Stripe's own libraries do.
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)
# The country of the organizers' Connect Express accounts.
STRIPE_CONNECT_COUNTRY = env.str("STRIPE_CONNECT_COUNTRY", default="US")
# A money movement still pending this long after it was recorded or last tried (a crash, a
# timeout, the gateway down) is finished by the movement_recover_sweep job.
PAYMENTS_RETRY_AFTER_SECONDS = env.int("PAYMENTS_RETRY_AFTER_SECONDS", default=120)
# Escrows released in one transaction by the release job (one commit for the whole batch).
PAYMENTS_RELEASE_BATCH_SIZE = env.int("PAYMENTS_RELEASE_BATCH_SIZE", default=100)
# Payouts transferred by one job: a gateway call each (Stripe: about a third of a second),
# then one transaction books them all; keep a job well inside Q_CLUSTER["timeout"].
PAYMENTS_PAYOUT_BATCH_SIZE = env.int("PAYMENTS_PAYOUT_BATCH_SIZE", default=25)

# API rate limits (django-ninja throttles; counters live in the default cache).
API_RATE_LIMITS = {
    "auth": env.str("RATE_LIMIT_AUTH", default="10/min"),
    "search": env.str("RATE_LIMIT_SEARCH", default="60/min"),
    "booking": env.str("RATE_LIMIT_BOOKING", default="20/min"),
}
NINJA_NUM_PROXIES = env.int("NUM_PROXIES", default=0)


# Every line to stderr in one format with UTC timestamps (marketplace/core/logs.py), also
# gunicorn's (site/gunicorn.conf.py): text, or one JSON object a line with LOG_FORMAT=json (the
# default with the production settings). Lines carry the id of the request (or queuing request)
# they were logged for. Loggers named here would otherwise keep handlers of
# their own: Django's defaults give "django" one that prints bare messages when DEBUG is on
# (and mail_admins, which has no ADMINS to write to) and "django.server" (runserver) its own
# format; django-q2 adds its own handler to "django-q" unless one is configured.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"utc": {"()": log_formatter}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "utc"},
        "discard": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": ["console"], "propagate": False},
        "django-q": {"handlers": ["console"], "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # An oversized request body is the client's mistake, answered with 413 and logged in
        # one line by django.request; Django would also log it here with a traceback.
        "django.security.RequestDataTooBig": {"handlers": ["discard"], "propagate": False},
    },
}
