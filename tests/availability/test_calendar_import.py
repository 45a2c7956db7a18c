"""External calendars are read from a local server (127.0.0.1, CALENDAR_FETCH_ALLOW_PRIVATE on):
Google's and Outlook's exports give exactly the busy times they mean; each broken read is shown with
its reason and keeps the last good busy times; a 304 keeps them; private addresses are refused."""

import shutil
import subprocess
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from django_q.models import Schedule

from marketplace.availability.calendar_fetch import is_public, normalise_url
from marketplace.availability.calendar_parse import CUT_OFF, NOT_ICALENDAR, UTC, WEB_PAGE, busy_ranges_from_ics
from marketplace.availability.calendars import (
    calendar_state,
    external_calendar_add,
    external_calendar_refresh,
    external_calendars_refresh_due,
)
from marketplace.availability.errors import CalendarAddressRefused
from marketplace.availability.models import BusyTime, ExternalCalendar
from marketplace.core.errors import ValidationFailed
from marketplace.core.models import AuditLogEntry
from tests.factories.calendars import (
    calendar_server,
    google_busy,
    google_export,
    local_day,
    outlook_busy,
    outlook_export,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(settings):
    settings.CALENDAR_FETCH_ALLOW_PRIVATE = True
    with calendar_server() as running:
        yield running


def busy(calendar) -> list[tuple]:
    return list(BusyTime.objects.filter(calendar=calendar).order_by("starts_at").values_list("starts_at", "ends_at"))


def test_a_google_export_blocks_its_series_without_the_excluded_day_with_the_moved_one_and_the_whole_all_day(
    server, vendor
):
    first = local_day(3)
    url = server.serve("/calendar/ical/abc%40group/private-5ecret/basic.ics", google_export(first))

    calendar = external_calendar_add(vendor=vendor, name="Work", url=url)

    calendar.refresh_from_db()
    assert busy(calendar) == google_busy(first)
    assert calendar.last_error == ""
    assert calendar.last_good_at is not None
    assert calendar_state(calendar).code == "ok"


def test_an_outlook_export_honours_busy_statuses_windows_zone_names_and_floating_times(server, vendor):
    first = local_day(2)
    url = server.serve("/owa/calendar/abc/reachcalendar.ics", outlook_export(first))

    calendar = external_calendar_add(vendor=vendor, name="Outlook", url=url)

    assert busy(calendar) == outlook_busy(first)


def test_adding_a_calendar_stores_the_address_once_and_audits_it_masked(server, vendor):
    url = server.serve("/private-5ecret/basic.ics", google_export(local_day(3)))

    calendar = external_calendar_add(vendor=vendor, name="Work", url=url)

    entry = AuditLogEntry.objects.get(action="calendar.added")
    assert entry.data == {"calendar": calendar.pk, "name": "Work", "address": "http://127.0.0.1/…"}
    with pytest.raises(ValidationFailed) as refused:
        external_calendar_add(vendor=vendor, name="Again", url=url)
    assert refused.value.message == "You have already added this calendar."
    assert ExternalCalendar.objects.count() == 1


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        ({"status": 500, "body": b"oops"}, "The calendar's server had an error (HTTP 500); it is read again later."),
        (
            {"status": 404, "body": b""},
            "The calendar's server has no calendar at this address (HTTP 404): it may have been removed.",
        ),
        ({"body": b"<!DOCTYPE html><html><body>Sign in to continue</body></html>"}, WEB_PAGE),
        ({"body": b"\n  <html><head><title>Sign in</title></head></html>"}, WEB_PAGE),
        ({"body": b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2027"}, CUT_OFF),
        ({"body": b"hello, this is not a calendar"}, NOT_ICALENDAR),
        (
            {"body": b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:notadate\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"},
            "The calendar file is not valid iCalendar",
        ),
        ({"body": b"BEGIN:VCALENDAR\r\n" + b"X" * 5000 + b"\r\nEND:VCALENDAR\r\n"}, "The calendar is larger than"),
        (
            {"body": b"BEGIN:VCALENDAR\r\n", "content_length": 900},
            "The download of the calendar was cut off before its end.",
        ),
    ],
    ids=["http-500", "http-404", "html-page", "html-login", "truncated", "not-ics", "invalid", "too-large", "cut-off"],
)
def test_a_calendar_that_cannot_be_read_shows_why_and_keeps_blocking_with_its_last_good_busy_times(
    server, vendor, settings, route, reason
):
    settings.CALENDAR_MAX_BYTES = 4096
    first = local_day(3)
    url = server.serve("/cal.ics", google_export(first))
    calendar = external_calendar_add(vendor=vendor, name="Work", url=url)
    calendar.refresh_from_db()
    good_at = calendar.last_good_at
    server.serve("/cal.ics", **route)
    later = timezone.now() + timedelta(minutes=31)

    assert external_calendar_refresh(calendar_id=calendar.pk, now=later) == "failed"

    calendar.refresh_from_db()
    assert calendar.last_error.startswith(reason)
    assert calendar.last_fetched_at == later
    assert calendar.last_good_at == good_at
    assert busy(calendar) == google_busy(first)
    state = calendar_state(calendar)
    assert state.code == "error"
    assert reason in state.sentence
    assert "Last good read: " in state.sentence and "keep blocking" in state.sentence


def test_an_unchanged_calendar_answered_304_keeps_its_busy_times(server, vendor):
    first = local_day(3)
    url = server.serve("/cal.ics", google_export(first), etag='"v1"', headers={"Last-Modified": "Tue, 01 Dec 2026"})
    calendar = external_calendar_add(vendor=vendor, name="Work", url=url)
    ids = set(BusyTime.objects.values_list("pk", flat=True))
    later = timezone.now() + timedelta(minutes=31)

    assert external_calendar_refresh(calendar_id=calendar.pk, now=later) == "unchanged"

    assert server.requests[-1]["if-none-match"] == '"v1"'
    assert server.requests[-1]["if-modified-since"] == "Tue, 01 Dec 2026"
    calendar.refresh_from_db()
    assert calendar.last_good_at == later
    assert set(BusyTime.objects.values_list("pk", flat=True)) == ids
    assert busy(calendar) == google_busy(first)


def test_a_changed_calendar_replaces_its_busy_times(server, vendor):
    url = server.serve("/cal.ics", google_export(local_day(3)))
    calendar = external_calendar_add(vendor=vendor, name="Work", url=url)
    server.serve("/cal.ics", outlook_export(local_day(4)))

    assert external_calendar_refresh(calendar_id=calendar.pk) == "updated"

    assert busy(calendar) == outlook_busy(local_day(4))


def test_redirects_are_followed_a_few_times_only(server, vendor):
    url = server.serve("/old.ics", status=301, headers={"Location": "/new.ics"})
    server.serve("/new.ics", google_export(local_day(3)))
    calendar = external_calendar_add(vendor=vendor, name="Moved", url=url)
    assert busy(calendar) == google_busy(local_day(3))

    for hop in range(5):
        server.serve(f"/loop{hop}.ics", status=302, headers={"Location": f"/loop{hop + 1}.ics"})
    looping = external_calendar_add(vendor=vendor, name="Loop", url=server.base + "/loop0.ics")
    looping.refresh_from_db()
    assert looping.last_error == "The calendar's address redirected more than 3 times."


def test_the_job_reads_only_the_calendars_that_are_due(server, vendor):
    url = server.serve("/cal.ics", google_export(local_day(3)))
    calendar = external_calendar_add(vendor=vendor, name="Work", url=url)
    asked = len(server.requests)

    assert external_calendars_refresh_due() == 0
    assert len(server.requests) == asked

    later = timezone.now() + timedelta(minutes=31)
    with time_machine.travel(later, tick=False):
        assert external_calendars_refresh_due() == 1
        assert len(server.requests) == asked + 1
        calendar.refresh_from_db()
        assert calendar.last_fetched_at == later
        assert calendar.next_fetch_at == later + timedelta(minutes=30)
        assert external_calendars_refresh_due() == 0  # run twice, it reads nothing again


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.0.0.1:8000/cal.ics", "127.0.0.1"),
        ("http://localhost/cal.ics", "127.0.0.1"),
        ("http://10.1.2.3/cal.ics", "10.1.2.3"),
        ("http://192.168.0.10/cal.ics", "192.168.0.10"),
        ("http://172.16.5.4/cal.ics", "172.16.5.4"),
        ("http://100.64.0.1/cal.ics", "100.64.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("https://0.0.0.0/cal.ics", "0.0.0.0"),
        ("http://[::1]/cal.ics", "::1"),
        ("http://[fe80::1]/cal.ics", "fe80::1"),
        ("http://[fd00::1]/cal.ics", "fd00::1"),
        ("http://[::ffff:127.0.0.1]/cal.ics", "::ffff:127.0.0.1"),
        ("http://[::ffff:10.0.0.1]/cal.ics", "::ffff:10.0.0.1"),
        ("webcal://169.254.169.254/cal.ics", "169.254.169.254"),
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused_and_nothing_is_stored(vendor, url, address):
    with pytest.raises(CalendarAddressRefused) as refused:
        external_calendar_add(vendor=vendor, name="Sneaky", url=url)

    assert refused.value.message == (
        f"The calendar's address points at a private, loopback or link-local network ({address}); "
        "only calendars on the public internet can be added."
    )
    assert ExternalCalendar.objects.count() == 0
    assert not AuditLogEntry.objects.filter(action="calendar.added").exists()


def test_a_calendar_whose_address_turns_private_is_refused_at_the_next_read_and_keeps_its_busy_times(
    server, vendor, settings
):
    url = server.serve("/cal.ics", google_export(local_day(3)))
    calendar = external_calendar_add(vendor=vendor, name="Work", url=url)
    asked = len(server.requests)
    settings.CALENDAR_FETCH_ALLOW_PRIVATE = False

    assert external_calendar_refresh(calendar_id=calendar.pk) == "failed"

    assert len(server.requests) == asked  # never connected
    calendar.refresh_from_db()
    assert "private, loopback or link-local network (127.0.0.1)" in calendar.last_error
    assert busy(calendar) == google_busy(local_day(3))


@pytest.mark.parametrize(
    "url", ["ftp://example.com/cal.ics", "file:///etc/passwd", "javascript:alert(1)", "calendar.google.com/x.ics"]
)
def test_an_address_that_is_not_http_is_refused(vendor, url):
    with pytest.raises(CalendarAddressRefused, match=r"must start with https:// \(or http://\)"):
        external_calendar_add(vendor=vendor, name="Odd", url=url)
    assert ExternalCalendar.objects.count() == 0


def test_webcal_addresses_are_read_over_https():
    assert normalise_url(" webcal://p01-caldav.icloud.com/published/2/abc ") == (
        "https://p01-caldav.icloud.com/published/2/abc"
    )


def test_the_refresh_job_is_scheduled_every_five_minutes():
    schedule = Schedule.objects.get(name="availability: external calendars refresh")

    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        "marketplace.availability.tasks.external_calendars_refresh_due",
        Schedule.MINUTES,
        5,
        -1,
    )


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("::ffff:8.8.8.8", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:192.168.1.1", False),
        ("::", False),
    ],
)
def test_only_public_addresses_are_public(address, public):
    assert is_public(address) is public


@pytest.fixture
def localhost_certificate(tmp_path) -> tuple[str, str]:
    """A self-signed certificate for "localhost" (made with the openssl command)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert)]
        + ["-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return str(cert), str(key)


def test_https_calendars_are_read_from_the_checked_address_under_the_host_s_name_with_a_verified_certificate(
    settings, monkeypatch, vendor, localhost_certificate
):
    settings.CALENDAR_FETCH_ALLOW_PRIVATE = True
    monkeypatch.setenv("SSL_CERT_FILE", localhost_certificate[0])  # trust it as if a public CA had signed it
    with calendar_server(tls=localhost_certificate) as server:
        url = server.serve("/cal.ics", google_export(local_day(3))).replace("127.0.0.1", "localhost")

        calendar = external_calendar_add(vendor=vendor, name="Secure", url=url)

        assert busy(calendar) == google_busy(local_day(3))
        assert server.requests[-1]["host"] == url.split("/")[2]
        monkeypatch.delenv("SSL_CERT_FILE")  # an untrusted certificate is refused
        assert external_calendar_refresh(calendar_id=calendar.pk) == "failed"
        calendar.refresh_from_db()
        assert calendar.last_error == "A secure connection to the calendar's server could not be made."


def test_a_floating_time_is_in_the_calendar_s_own_zone_when_it_names_one_else_the_organizer_s():
    window = {"start": datetime(2027, 6, 1, tzinfo=UTC), "end": datetime(2027, 7, 1, tzinfo=UTC)}
    event = b"BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20270612T120000\r\nDTEND:20270612T130000\r\nEND:VEVENT\r\n"
    berlin = b"BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:Europe/Berlin\r\n" + event + b"END:VCALENDAR\r\n"
    unnamed = b"BEGIN:VCALENDAR\r\n" + event + b"END:VCALENDAR\r\n"

    assert busy_ranges_from_ics(berlin, time_zone="America/New_York", **window) == [
        (datetime(2027, 6, 12, 10, tzinfo=UTC), datetime(2027, 6, 12, 11, tzinfo=UTC))
    ]
    assert busy_ranges_from_ics(unnamed, time_zone="America/New_York", **window) == [
        (datetime(2027, 6, 12, 16, tzinfo=UTC), datetime(2027, 6, 12, 17, tzinfo=UTC))
    ]


def test_the_marketplace_s_own_bookings_copied_into_a_calendar_never_block():
    window = {"start": datetime(2027, 6, 1, tzinfo=UTC), "end": datetime(2027, 7, 1, tzinfo=UTC)}

    def calendar(uid: bytes) -> bytes:
        return (
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:" + uid + b"\r\nDTSTART:20270612T120000Z\r\n"
            b"DTEND:20270612T130000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )

    assert busy_ranges_from_ics(calendar(b"TN-7K2Q@tidynest"), time_zone="UTC", **window) == []
    assert busy_ranges_from_ics(calendar(b"TN-7K2Q@TidyNest"), time_zone="UTC", **window) == []
    assert len(busy_ranges_from_ics(calendar(b"dentist@google.com"), time_zone="UTC", **window)) == 1
