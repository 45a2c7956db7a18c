"""ICS (iCalendar) files for bookings, so they land in the customer's and organizer's calendars."""

from icalendar import Calendar, Event

from marketplace.bookings.models import Booking


def booking_ics(booking: Booking, *, site_url: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Tidy Nest//Bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{booking.reference}@tidynest")
    event.add("dtstamp", booking.updated_at)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("summary", f"{booking.service.title} with {booking.vendor.business_name}")
    event.add("location", booking.address)
    event.add("description", f"Booking {booking.reference}. Manage it at {site_url}/account/bookings/{booking.pk}/")
    event.add("status", "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
