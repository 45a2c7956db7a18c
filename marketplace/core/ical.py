"""The marketplace's own calendar events: how they are named, for the code that writes and reads calendars.

Every event the marketplace publishes (a booking in the organizer's feed, the .ics of a
booking email) has the UID ``<booking reference>@tidynest`` (``bookings.calendar``). An
organizer's own calendar may hold copies of them (an .ics added from an email), and those
must not block slots: the booking itself already does, and a cancelled booking's copy would
go on blocking until the organizer deletes it (``availability.calendar_parse``).
"""

UID_DOMAIN = "tidynest"


def is_marketplace_event(uid: object) -> bool:
    return str(uid or "").lower().endswith(f"@{UID_DOMAIN}")
