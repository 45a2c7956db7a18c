"""Settings of the dashboard benchmark (bench/dashboard.py): production's, served to Django's test client.

Only what an in-process client lacks is changed: its host name, and no HTTPS redirect or
secure-only cookies (there is no TLS in front of it). DEBUG stays off, so queries are not kept.
"""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-insecure-key-0123456789abcdefghijklmnop")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")

from marketplace.settings.production import *  # noqa: F403

ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
PAYMENTS_GATEWAY = "local"
# No collectstatic for an in-process client: static URLs without the manifest's hashes.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the organizers' emails are not the point
# The accounts are made by the services, which hash passwords: a fast hasher keeps the set-up short
# (nobody signs in with a password here; the timed client is signed in with force_login).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
