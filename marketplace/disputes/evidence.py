"""What an evidence file may be: a photo (JPEG, PNG, WebP) or a PDF, up to a size, up to a number per side.

The checks themselves are ``marketplace.core.uploads.check_upload`` (type from the file's
first bytes, never its name; size), shared with organizers' documents; this module says
which types and sizes evidence may have, and how many files.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from django.conf import settings

from marketplace.core import uploads
from marketplace.core.uploads import CheckedFile

from .errors import EvidenceRefused

ACCEPTED_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")
ACCEPTED = "JPEG, PNG or WebP photos, or PDF documents"

__all__ = ["ACCEPTED", "ACCEPTED_TYPES", "CheckedFile", "check_file", "check_files", "max_bytes", "sniff"]


def max_bytes() -> int:
    return int(settings.DISPUTE_EVIDENCE_MAX_MB * 1024 * 1024)


def sniff(head: bytes) -> str | None:
    """The evidence type these first bytes start, or None."""
    return uploads.sniff(head, accepted=ACCEPTED_TYPES)


def check_file(file: IO[bytes], *, name: str) -> CheckedFile:
    """Refuse (``EvidenceRefused``, 400) an empty, too large or unaccepted file; never trusts its name."""
    return uploads.check_upload(
        file,
        name=name,
        accepted=ACCEPTED_TYPES,
        accepted_words=ACCEPTED,
        max_bytes=max_bytes(),
        refusal=EvidenceRefused,
        field="files",
        default_name="evidence",
    )


def too_many_files(*, already: int, adding: int) -> EvidenceRefused | None:
    limit = settings.DISPUTE_EVIDENCE_MAX_FILES
    if already + adding > limit:
        left = max(limit - already, 0)
        return EvidenceRefused(
            f"Each side may give at most {limit} files; you can add {left} more.",
            field="files",
        )
    return None


def check_files(files: Iterable[tuple[IO[bytes], str]]) -> list[CheckedFile]:
    """Check every (file, name) before anything is written: one bad file refuses them all."""
    checked = [check_file(file, name=name) for file, name in files]
    if (refusal := too_many_files(already=0, adding=len(checked))) is not None:
        raise refusal
    return checked
