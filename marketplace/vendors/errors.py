"""Error codes of organizers (vendors) and their verification (see marketplace.core.errors)."""

from marketplace.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class NotAVendor(PermissionDenied):
    """Only organizer accounts may do this."""

    code = "not_a_vendor"


class VendorNotVerified(PermissionDenied):
    """The organizer's profile must be verified first."""

    code = "vendor_not_verified"


class NoVendorProfile(NotFound):
    """The organizer account has no organizer profile yet: create one with POST /vendors/profile."""

    code = "no_vendor_profile"


class VendorUnavailable(Conflict):
    """The organizer is not taking bookings at the moment (suspended, or no longer verified)."""

    code = "vendor_unavailable"


class VendorNewBookingsPaused(Conflict):
    """The organizer is not taking new bookings until their payout account's past-due information is provided.

    Their confirmed bookings go on; the reason is in the message.
    """

    code = "vendor_new_bookings_paused"


class VendorDocumentRefused(ValidationFailed):
    """The document's file is refused: empty, too large, or not a PDF, JPEG or PNG (read from its bytes)."""

    code = "vendor_document_refused"


class VendorDocumentsExpired(Conflict):
    """The organizer is not taking new bookings until an expired insurance or identity document is renewed.

    Their confirmed bookings go on.
    """

    code = "vendor_documents_expired"
