"""How an evidence file is sent back: the one place its response headers are decided.

Every face (storefront, API, back office) serves evidence through ``evidence_response``
after its own permission check (``selectors.evidence_get_for_user``). The file is sent
with the type checked from its bytes when it was uploaded, ``nosniff`` so no browser
guesses another, a ``sandbox`` Content-Security-Policy so a PDF or an image opened
directly cannot run anything with the site's origin, and as an attachment unless it is
an image (images may be shown inline). The uploader's name is only a suggested download
name, encoded by Django; it never becomes a path.
"""

from __future__ import annotations

from django.http import FileResponse

from .models import Evidence

INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def evidence_response(evidence: Evidence) -> FileResponse:
    inline = evidence.content_type in INLINE_TYPES
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=not inline,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
