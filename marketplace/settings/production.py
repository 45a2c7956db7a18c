"""Production: everything from the environment, secure defaults, no fallbacks for secrets."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Probes and Prometheus call the app over plain HTTP on its own address, not through nginx.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^ready$", r"^metrics$"]
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# `manage.py check --deploy --fail-level WARNING` runs in CI with a production environment
# (.ci/run, step "checks") and must stay clean. Two of its warnings are choices, not defects:
# - security.W005 (HSTS without includeSubDomains): the marketplace does not own every host
#   under its domain (mail, the marketing site, a vendor's tools may live on subdomains that do
#   not all serve HTTPS); HSTS covers the hosts this app serves.
# - security.W021 (no HSTS preload): preloading is a commitment of the whole domain that takes
#   months to undo, so it is the domain owner's decision, made outside this app.
# Every other deploy check stays on; SECURE_HSTS_SECONDS itself (security.W004) must be set.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
