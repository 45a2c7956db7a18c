"""What an evidence file may be: a photo (JPEG, PNG, WebP) or a PDF, up to a size, up to a number per side.

The type is read from the file's first bytes, never from its name or the browser's
``Content-Type`` (both are the uploader's word): a script renamed ``photo.jpg`` is refused.
Images are not decoded, so nothing a file contains runs on the server; they are served
back with their checked type, ``nosniff`` and as attachments unless they are images.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from django.conf import settings

from marketplace.core.text import data_size

from .errors import EvidenceRefused

# Signatures: (offset, bytes) that must all match.
SIGNATURES: dict[str, tuple[tuple[int, bytes], ...]] = {
    "image/jpeg": ((0, b"\xff\xd8\xff"),),
    "image/png": ((0, b"\x89PNG\r\n\x1a\n"),),
    "image/webp": ((0, b"RIFF"), (8, b"WEBP")),
    "application/pdf": ((0, b"%PDF-"),),
}
ACCEPTED = "JPEG, PNG or WebP photos, or PDF documents"
NAME_MAX_LENGTH = 255


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks: its bytes' type and size, and the name it came with."""

    file: IO[bytes]
    name: str
    content_type: str
    size: int


def max_bytes() -> int:
    return int(settings.DISPUTE_EVIDENCE_MAX_MB * 1024 * 1024)


def sniff(head: bytes) -> str | None:
    """The accepted type these first bytes start, or None."""
    for content_type, parts in SIGNATURES.items():
        if all(head[offset : offset + len(part)] == part for offset, part in parts):
            return content_type
    return None


def _size(file: IO[bytes]) -> int:
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, 2)
        size = file.tell()
    file.seek(0)
    return size


def _clean_name(name: str) -> str:
    # Only the last part of a path, without control characters; shown escaped wherever it appears.
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return (name or "evidence")[:NAME_MAX_LENGTH]


def check_file(file: IO[bytes], *, name: str) -> CheckedFile:
    """Refuse (``EvidenceRefused``, 400) an empty, too large or unaccepted file; never trusts its name."""
    label = _clean_name(name)
    size = _size(file)
    if size == 0:
        raise EvidenceRefused(f"{label} is empty.", field="files")
    if size > max_bytes():
        raise EvidenceRefused(
            f"{label} is {data_size(size)}; each file may be at most {data_size(max_bytes())}.", field="files"
        )
    content_type = sniff(file.read(16))
    file.seek(0)
    if content_type is None:
        raise EvidenceRefused(f"{label} is not a file we accept: send {ACCEPTED}.", field="files")
    return CheckedFile(file=file, name=label, content_type=content_type, size=size)


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
