"""A local calendar server for tests (127.0.0.1, a thread, bounded) and calendar files as providers export them.

Files are written relative to the organizer's today (New York), so the events fall inside
the booking horizon whenever the test runs.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

from django.utils import timezone

NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")


def local_day(days_ahead: int) -> date:
    return timezone.now().astimezone(NEW_YORK).date() + timedelta(days=days_ahead)


def utc(day: date, at: time, zone: ZoneInfo = NEW_YORK) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _stamp(day: date, at: time) -> str:
    return f"{day:%Y%m%d}T{at:%H%M%S}"


NEW_YORK_VTIMEZONE = """BEGIN:VTIMEZONE
TZID:{tzid}
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE"""


def google_export(first: date) -> str:
    """Google Calendar's secret address: X-WR-TIMEZONE, a daily series with an EXDATE and a moved
    occurrence (RECURRENCE-ID), an all-day event and a transparent ("free") event."""
    d = [first + timedelta(days=n) for n in range(8)]
    tz = "America/New_York"
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
            "VERSION:2.0",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:Work",
            f"X-WR-TIMEZONE:{tz}",
            NEW_YORK_VTIMEZONE.format(tzid=tz).replace("\n", "\r\n"),
            "BEGIN:VEVENT",
            f"DTSTART;TZID={tz}:{_stamp(d[0], time(10))}",
            f"DTEND;TZID={tz}:{_stamp(d[0], time(11))}",
            "RRULE:FREQ=DAILY;COUNT=4",
            f"EXDATE;TZID={tz}:{_stamp(d[1], time(10))}",
            "UID:series-1@google.com",
            "SUMMARY:Standing client",
            "STATUS:CONFIRMED",
            "TRANSP:OPAQUE",
            "END:VEVENT",
            "BEGIN:VEVENT",
            f"DTSTART;TZID={tz}:{_stamp(d[2], time(15))}",
            f"DTEND;TZID={tz}:{_stamp(d[2], time(16))}",
            f"RECURRENCE-ID;TZID={tz}:{_stamp(d[2], time(10))}",
            "UID:series-1@google.com",
            "SUMMARY:Standing client (moved)",
            "END:VEVENT",
            "BEGIN:VEVENT",
            f"DTSTART;VALUE=DATE:{d[5]:%Y%m%d}",
            f"DTEND;VALUE=DATE:{d[6]:%Y%m%d}",
            "UID:allday-1@google.com",
            "SUMMARY:Day off",
            "TRANSP:OPAQUE",
            "END:VEVENT",
            "BEGIN:VEVENT",
            f"DTSTART:{_stamp(d[6], time(14))}Z",
            f"DTEND:{_stamp(d[6], time(15))}Z",
            "UID:free-1@google.com",
            "SUMMARY:Reminder only",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
            "BEGIN:VEVENT",
            f"DTSTART;TZID={tz}:{_stamp(d[7], time(9))}",
            f"DTEND;TZID={tz}:{_stamp(d[7], time(10))}",
            "UID:cancelled-1@google.com",
            "STATUS:CANCELLED",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


def google_busy(first: date) -> list[tuple[datetime, datetime]]:
    """What ``google_export`` blocks, in UTC."""
    d = [first + timedelta(days=n) for n in range(8)]
    return [
        (utc(d[0], time(10)), utc(d[0], time(11))),
        (utc(d[2], time(15)), utc(d[2], time(16))),  # the moved occurrence; d[1] is excluded
        (utc(d[3], time(10)), utc(d[3], time(11))),
        (utc(d[5], time(0)), utc(d[6], time(0))),  # the whole local day
    ]


def outlook_export(first: date) -> str:
    """Outlook / Exchange's published calendar: Windows zone names, busy statuses (BUSY, FREE, OOF,
    TENTATIVE), a weekly series with an EXDATE, and a floating time."""
    d = [first + timedelta(days=n) for n in range(16)]
    tz = "Eastern Standard Time"
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "METHOD:PUBLISH",
            "PRODID:Microsoft Exchange Server 2010",
            "VERSION:2.0",
            "X-WR-CALNAME:Calendar",
            NEW_YORK_VTIMEZONE.format(tzid=tz).replace("\n", "\r\n"),
            "BEGIN:VEVENT",
            "UID:040000008200E00074C5B7101A82E0080000000001",
            "SUMMARY:Busy",
            f"DTSTART;TZID={tz}:{_stamp(d[0], time(12))}",
            f"DTEND;TZID={tz}:{_stamp(d[0], time(13))}",
            "RRULE:FREQ=WEEKLY;COUNT=3",
            f"EXDATE;TZID={tz}:{_stamp(d[7], time(12))}",
            "CLASS:PUBLIC",
            "TRANSP:OPAQUE",
            "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:040000008200E00074C5B7101A82E0080000000002",
            "SUMMARY:Free",
            f"DTSTART;TZID={tz}:{_stamp(d[1], time(12))}",
            f"DTEND;TZID={tz}:{_stamp(d[1], time(13))}",
            "TRANSP:OPAQUE",
            "X-MICROSOFT-CDO-BUSYSTATUS:FREE",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:040000008200E00074C5B7101A82E0080000000003",
            "SUMMARY:Away",
            f"DTSTART;TZID={tz}:{_stamp(d[2], time(9))}",
            f"DTEND;TZID={tz}:{_stamp(d[2], time(10, 30))}",
            "X-MICROSOFT-CDO-BUSYSTATUS:OOF",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:040000008200E00074C5B7101A82E0080000000004",
            "SUMMARY:Maybe",
            f"DTSTART;TZID={tz}:{_stamp(d[3], time(17))}",
            f"DTEND;TZID={tz}:{_stamp(d[3], time(18))}",
            "X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:040000008200E00074C5B7101A82E0080000000005",
            "SUMMARY:Floating",
            f"DTSTART:{_stamp(d[4], time(16))}",
            f"DTEND:{_stamp(d[4], time(17))}",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


def outlook_busy(first: date) -> list[tuple[datetime, datetime]]:
    """What ``outlook_export`` blocks, in UTC (floating times are the organizer's New York time)."""
    d = [first + timedelta(days=n) for n in range(16)]
    return [
        (utc(d[0], time(12)), utc(d[0], time(13))),
        (utc(d[2], time(9)), utc(d[2], time(10, 30))),
        (utc(d[3], time(17)), utc(d[3], time(18))),
        (utc(d[4], time(16)), utc(d[4], time(17))),
        (utc(d[14], time(12)), utc(d[14], time(13))),  # the third week; the second is excluded
    ]


def one_event(day: date, start: time, end: time) -> str:
    """A calendar with one busy event, New York time."""
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Tests//EN",
            "BEGIN:VEVENT",
            "UID:one@tests",
            f"DTSTART;TZID=America/New_York:{_stamp(day, start)}",
            f"DTEND;TZID=America/New_York:{_stamp(day, end)}",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""  # answer 304 to a matching If-None-Match
    content_length: int | None = None  # claim a length the body does not have (a cut-off download)


@dataclass
class CalendarServer:
    base: str
    routes: dict[str, Route]
    requests: list[dict[str, str]]

    def serve(self, path: str, body: str | bytes = b"", **route) -> str:
        self.routes[path] = Route(body=body.encode() if isinstance(body, str) else body, **route)
        return self.base + path


class _Handler(BaseHTTPRequestHandler):
    timeout = 5  # a stuck client cannot hold the test's server thread

    def do_GET(self):
        server = self.server.calendar  # type: ignore[attr-defined]
        server.requests.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        route = server.routes.get(self.path)
        if route is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if route.etag and self.headers.get("If-None-Match") == route.etag:
            self.send_response(304)
            self.send_header("ETag", route.etag)
            self.end_headers()
            return
        self.send_response(route.status)
        for name, value in route.headers.items():
            self.send_header(name, value)
        if route.etag:
            self.send_header("ETag", route.etag)
        self.send_header("Content-Length", str(route.content_length or len(route.body)))
        self.end_headers()
        self.wfile.write(route.body)
        self.close_connection = True

    def log_message(self, format, *args):
        pass


@contextmanager
def calendar_server(tls: tuple[str, str] | None = None) -> Iterator[CalendarServer]:
    """Serve calendars on 127.0.0.1 (over TLS with ``tls`` = (certificate file, key file))."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    scheme = "http"
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        scheme = "https"
    calendar = CalendarServer(base=f"{scheme}://127.0.0.1:{httpd.server_address[1]}", routes={}, requests=[])
    httpd.calendar = calendar  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield calendar
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
