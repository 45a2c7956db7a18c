"""What an uploaded file may be, where private files live, and how one is sent back.

Shared by every upload the marketplace keeps (dispute evidence, organizers' documents):

- ``check_upload`` reads the type from the file's first bytes, never from its name or the
  browser's ``Content-Type`` (both are the uploader's word): a script renamed ``photo.jpg``
  is refused. Files are not decoded, so nothing a file contains runs on the server.
- ``private_storage`` is ``STORAGES["private"]``: never under MEDIA_ROOT, which nginx serves
  to anyone.
- ``private_file_response`` sends a file back with its checked type, ``nosniff``, a
  ``sandbox`` Content-Security-Policy (a PDF or an image opened directly cannot run anything
  with the site's origin) and as an attachment unless it is an image. The uploader's name is
  only a suggested download name, encoded by Django; it never becomes a path.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import IO

from django.core.files.storage import storages
from django.http import FileResponse

from .errors import ValidationFailed
from .text import data_size

# Signatures: (offset, bytes) that must all match.
SIGNATURES: dict[str, tuple[tuple[int, bytes], ...]] = {
    "image/jpeg": ((0, b"\xff\xd8\xff"),),
    "image/png": ((0, b"\x89PNG\r\n\x1a\n"),),
    "image/webp": ((0, b"RIFF"), (8, b"WEBP")),
    "application/pdf": ((0, b"%PDF-"),),
}
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
NAME_MAX_LENGTH = 255


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks: its bytes' type and size, and the name it came with."""

    file: IO[bytes]
    name: str
    content_type: str
    size: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def sniff(head: bytes, *, accepted: Collection[str] = tuple(SIGNATURES)) -> str | None:
    """The type among ``accepted`` these first bytes start, or None."""
    for content_type in accepted:
        parts = SIGNATURES[content_type]
        if all(head[offset : offset + len(part)] == part for offset, part in parts):
            return content_type
    return None


def file_size(file: IO[bytes]) -> int:
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, 2)
        size = file.tell()
    file.seek(0)
    return size


def clean_name(name: str, *, default: str = "file") -> str:
    """Only the last part of a path, without control characters; shown escaped wherever it appears."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return (name or default)[:NAME_MAX_LENGTH]


def check_upload(
    file: IO[bytes],
    *,
    name: str,
    accepted: Collection[str],
    accepted_words: str,
    max_bytes: int,
    refusal: type[ValidationFailed],
    field: str,
    default_name: str = "file",
) -> CheckedFile:
    """Refuse (``refusal``, a 400) an empty file, one over ``max_bytes``, or one whose bytes are not of ``accepted``."""
    label = clean_name(name, default=default_name)
    size = file_size(file)
    if size == 0:
        raise refusal(f"{label} is empty.", field=field)
    if size > max_bytes:
        raise refusal(f"{label} is {data_size(size)}; each file may be at most {data_size(max_bytes)}.", field=field)
    content_type = sniff(file.read(16), accepted=accepted)
    file.seek(0)
    if content_type is None:
        raise refusal(f"{label} is not a file we accept: send {accepted_words}.", field=field)
    return CheckedFile(file=file, name=label, content_type=content_type, size=size)


def private_storage():
    """Where private files are kept (``STORAGES["private"]``): never under MEDIA_ROOT, which nginx serves to anyone."""
    return storages["private"]


def private_file_response(file, *, content_type: str, filename: str) -> FileResponse:
    """A stored private file, sent with its checked type and the safe headers (see the module docstring)."""
    inline = content_type in INLINE_TYPES
    response = FileResponse(file.open("rb"), as_attachment=not inline, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
