"""How an evidence file is sent back: the one place its response headers are decided.

Every face (storefront, API, back office) serves evidence through ``evidence_response``
after its own permission check (``selectors.evidence_get_for_user``), which sends it through
``core.uploads.private_file_response`` (shared with organizers' documents). The file is sent
with the type checked from its bytes when it was uploaded, ``nosniff`` so no browser
guesses another, a ``sandbox`` Content-Security-Policy so a PDF or an image opened
directly cannot run anything with the site's origin, and as an attachment unless it is
an image (images may be shown inline). The uploader's name is only a suggested download
name, encoded by Django; it never becomes a path.
"""

from __future__ import annotations

from django.http import FileResponse

from marketplace.core.uploads import private_file_response

from .models import Evidence


def evidence_response(evidence: Evidence) -> FileResponse:
    return private_file_response(evidence.file, content_type=evidence.content_type, filename=evidence.original_name)
