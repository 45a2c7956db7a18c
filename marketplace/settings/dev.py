"""Local development and the demo: the embedded default, safe fallbacks for secrets."""

import os

os.environ.setdefault("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SERVE_MEDIA", "true")  # runserver has no nginx in front

from .base import *  # noqa: F403
