"""How the site is served outside the test client's defaults: uploaded media, the demo's settings, nginx."""

import importlib
import json
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import clear_url_caches

import dev
import marketplace.urls
from api.errors import PAYLOAD_TOO_LARGE, payload_too_large_detail

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
PHOTO = b"\xff\xd8\xff\xe0 not really a JPEG"


@contextmanager
def urls_built_with(**changes):
    """marketplace.urls as it is built under these settings (it reads SERVE_MEDIA once, when imported)."""
    try:
        with override_settings(**changes):
            importlib.reload(marketplace.urls)
            clear_url_caches()
            yield
    finally:
        importlib.reload(marketplace.urls)
        clear_url_caches()


@pytest.fixture
def media_root(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "closet.jpg").write_bytes(PHOTO)
    return tmp_path


def test_with_serve_media_on_the_app_serves_uploaded_files_with_debug_off(client, settings, media_root):
    # given DEBUG off (as in the demo) and SERVE_MEDIA on
    assert settings.DEBUG is False
    with urls_built_with(SERVE_MEDIA=True, MEDIA_ROOT=media_root):
        # when an uploaded image is asked for
        response = client.get("/media/images/closet.jpg")

        # then it is served
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PHOTO
        assert response["Content-Type"] == "image/jpeg"


def test_with_serve_media_off_uploaded_files_are_left_to_the_web_server(client, media_root):
    # given production's default: nginx serves /media/, the app does not
    with urls_built_with(SERVE_MEDIA=False, MEDIA_ROOT=media_root):
        # when an uploaded image is asked for from the app
        response = client.get("/media/images/closet.jpg")

        # then it is the product's 404 page
        assert response.status_code == 404
        assert "We couldn't find that page" in response.content.decode()


def test_serve_media_never_serves_files_outside_the_media_root(client, media_root):
    # given a file next to the media root, not in it
    (media_root / "secrets.txt").write_text("SECRET_KEY=...")
    with urls_built_with(SERVE_MEDIA=True, MEDIA_ROOT=media_root / "images"):
        # when a path climbs out of the media root
        response = client.get("/media/../secrets.txt")

        # then it is refused (Django's SuspiciousFileOperation) and nothing is served
        assert response.status_code == 400
        assert b"SECRET_KEY" not in response.content


def test_the_demo_serves_with_debug_off_the_manifest_static_files_and_its_own_media():
    # given the environment `python3 dev.py demo` gives its processes
    env = dev.demo_environment("8123")

    # when its settings load
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps("
            "[s.DEBUG, s.SERVE_MEDIA, s.STORAGES['staticfiles']['BACKEND'], s.CACHES['default']['BACKEND']]))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    # then DEBUG is off, as in production, and the app serves uploaded media itself
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        False,
        True,
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "django.core.cache.backends.db.DatabaseCache",
    ]


def test_the_nginx_example_refuses_the_bodies_the_app_refuses_and_in_the_same_words(settings):
    # given the nginx example (server-wide directives are indented once, a location's twice)
    nginx = (ROOT / "site" / "nginx.conf.example").read_text()
    number, unit = re.search(r"^    client_max_body_size (\d+)([km]);", nginx, re.MULTILINE).groups()
    api_answer = re.search(r"return 413 '(.+)';", nginx).group(1)

    # then its limit is the app's (REQUEST_BODY_LIMIT_MB), and its JSON 413 under /api/ is the app's
    assert int(number) * {"k": 1024, "m": 1024 * 1024}[unit] == settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert json.loads(api_answer) == {"detail": payload_too_large_detail(), "code": PAYLOAD_TOO_LARGE}
    assert json.loads(api_answer)["detail"] == "The request body is too large: the limit is 2.5 MB."


def test_production_reads_the_static_root_and_the_old_secret_keys_from_the_environment(tmp_path):
    # given a production environment in the middle of a SECRET_KEY rotation
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
        "SECRET_KEY": "the-new-key-" + "n" * 40,
        "SECRET_KEY_FALLBACKS": "the-old-key-" + "o" * 40 + ",an-older-key-" + "p" * 40,
        "STATIC_ROOT": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    # when its settings load, and a value signed with the old key comes back
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; from django.core import signing;"
        "old = signing.Signer(key=s.SECRET_KEY_FALLBACKS[0]).sign('session');"
        "print(json.dumps([str(s.STATIC_ROOT), len(s.SECRET_KEY_FALLBACKS), signing.Signer().unsign(old)]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    # then collectstatic writes where nginx reads, and the old keys still verify what they signed
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [str(tmp_path), 2, "session"]
