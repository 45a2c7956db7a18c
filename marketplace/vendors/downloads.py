"""How an organizer's document is sent back: the same safe response as dispute evidence.

Every face serves a document through ``vendor_document_response`` after its own permission
check (``selectors.vendor_document_get_for_user``: the organizer, or staff who verify
organizers): checked type, ``nosniff``, a ``sandbox`` policy, an attachment unless an image
(``core.uploads.private_file_response``).
"""

from __future__ import annotations

from django.http import FileResponse

from marketplace.core.uploads import private_file_response

from .models import VendorDocument


def vendor_document_response(document: VendorDocument) -> FileResponse:
    return private_file_response(document.file, content_type=document.content_type, filename=document.original_name)
