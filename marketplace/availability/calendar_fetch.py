"""Reading an organizer's calendar from its address, without letting the address reach our own network.

The guard (``check_address``, ``resolve_public``): only http and https; the host is resolved
and every address it resolves to must be a public one (no private, loopback, link-local,
shared, multicast or reserved network, IPv4 or IPv6, an IPv4-mapped IPv6 address judged as
its IPv4 address), unless ``CALENDAR_FETCH_ALLOW_PRIVATE``. The connection then goes to the
address that was checked (the Host header and TLS name stay the host's), so a DNS answer
that changes between the check and the connection cannot send us elsewhere. A redirect is
followed at most ``MAX_REDIRECTS`` times and each new address is checked the same way.

One read takes at most ``CALENDAR_FETCH_TIMEOUT_SECONDS`` in all and ``CALENDAR_MAX_BYTES``
of calendar (read in chunks; a larger answer is refused, not cut). It is conditional: the
ETag and Last-Modified of the last good read are sent back, and a 304 means "unchanged".
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings

from .errors import CalendarAddressRefused

ALLOWED_SCHEMES = ("http", "https")
# webcal:// is how Apple and Google hand out subscription links: the same calendar over https.
WEBCAL_SCHEMES = ("webcal", "webcals")
MAX_REDIRECTS = 3
CHUNK_BYTES = 64 * 1024
USER_AGENT = "TidyNest-Calendar/1.0 (+calendar sync for organizers)"
REDIRECT_STATUSES = {301, 302, 303, 307, 308}


class CalendarFetchFailed(Exception):
    """A read gave no calendar; ``reason`` says why in the organizer's words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FetchResult:
    not_modified: bool  # 304: the calendar did not change since the read whose validators were sent
    body: bytes
    etag: str
    last_modified: str


def normalise_url(url: str) -> str:
    """The address as it will be read: trimmed, webcal:// as https://; refused unless http(s) with a host."""
    url = (url or "").strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in WEBCAL_SCHEMES:
        url = "https" + url[len(parts.scheme) :]
        parts = urlsplit(url)
        scheme = "https"
    if scheme not in ALLOWED_SCHEMES:
        raise CalendarAddressRefused(
            "The calendar's address must start with https:// (or http://): copy the secret iCal address "
            "from your calendar's sharing settings.",
            field="url",
        )
    if not parts.hostname:
        raise CalendarAddressRefused("The calendar's address has no host name.", field="url")
    try:
        parts.port  # noqa: B018 - a port out of range raises here
    except ValueError:
        raise CalendarAddressRefused("The calendar's address has an invalid port.", field="url") from None
    return url


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet (an IPv4-mapped IPv6 address as its IPv4 one)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve_public(host: str, port: int) -> str:
    """The address to connect to for ``host``: every address it resolves to must be public.

    Refusing when any of them is not (rather than picking a public one) keeps a host that
    answers both from being a way in. ``CALENDAR_FETCH_ALLOW_PRIVATE`` lifts the refusal.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise CalendarFetchFailed(f"The calendar's host name {host} could not be found.") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise CalendarFetchFailed(f"The calendar's host name {host} could not be found.")
    if not settings.CALENDAR_FETCH_ALLOW_PRIVATE:
        for address in addresses:
            if not is_public(address):
                raise CalendarAddressRefused(
                    f"The calendar's address points at a private, loopback or link-local network ({address}); "
                    "only calendars on the public internet can be added.",
                    field="url",
                )
    return addresses[0]


def check_address(url: str) -> str:
    """Refuse an address that is not http(s) or that resolves to a private network; the normalised address."""
    url = normalise_url(url)
    parts = urlsplit(url)
    resolve_public(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
    return url


def _pool(url: str, timeout: urllib3.Timeout) -> tuple[urllib3.HTTPConnectionPool, str, dict[str, str]]:
    """A connection pool to the checked address of ``url``, its request target and the Host header."""
    url = normalise_url(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve_public(host, port)
    default_port = port == (443 if parts.scheme == "https" else 80)
    host_header = (f"[{host}]" if ":" in host else host) + ("" if default_port else f":{port}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    pool: urllib3.HTTPConnectionPool
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=host,
            assert_hostname=host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1)
    return pool, target, {"Host": host_header}


def calendar_fetch(url: str, *, etag: str = "", last_modified: str = "") -> FetchResult:
    """Read the calendar at ``url`` (see the module's rules); ``CalendarFetchFailed`` says why it gave none.

    ``CalendarAddressRefused`` when the address (or a redirect's) is refused by the guard.
    """
    limit = settings.CALENDAR_MAX_BYTES
    seconds = settings.CALENDAR_FETCH_TIMEOUT_SECONDS
    deadline = time.monotonic() + seconds
    for _ in range(MAX_REDIRECTS + 1):
        left = max(deadline - time.monotonic(), 0.1)
        pool, target, headers = _pool(url, urllib3.Timeout(connect=min(left, 10), read=min(left, 10)))
        headers.update({"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"})
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            response = pool.urlopen(
                "GET", target, headers=headers, redirect=False, retries=False, preload_content=False
            )
        except urllib3.exceptions.TimeoutError:
            raise CalendarFetchFailed(_no_answer(seconds)) from None
        except urllib3.exceptions.SSLError:
            raise CalendarFetchFailed("A secure connection to the calendar's server could not be made.") from None
        except urllib3.exceptions.HTTPError:
            raise CalendarFetchFailed("The calendar's server could not be reached.") from None
        try:
            if response.status in REDIRECT_STATUSES and response.headers.get("Location"):
                url = urljoin(url, response.headers["Location"])
                continue
            if response.status == 304:
                return FetchResult(not_modified=True, body=b"", etag=etag, last_modified=last_modified)
            if response.status != 200:
                raise CalendarFetchFailed(_status_reason(response.status))
            body = _read_limited(response, limit=limit, deadline=deadline, seconds=seconds)
            return FetchResult(
                not_modified=False,
                body=body,
                etag=(response.headers.get("ETag") or "")[:500],
                last_modified=(response.headers.get("Last-Modified") or "")[:100],
            )
        finally:
            response.release_conn()
            pool.close()
    raise CalendarFetchFailed(f"The calendar's address redirected more than {MAX_REDIRECTS} times.")


def _read_limited(response, *, limit: int, deadline: float, seconds: int) -> bytes:
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > limit:
        raise CalendarFetchFailed(_too_large(limit))
    chunks, size = [], 0
    try:
        for chunk in response.stream(CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                raise CalendarFetchFailed(_too_large(limit))
            if time.monotonic() > deadline:
                raise CalendarFetchFailed(f"The calendar took longer than {seconds} seconds to download.")
            chunks.append(chunk)
    except urllib3.exceptions.TimeoutError:
        raise CalendarFetchFailed(_no_answer(seconds)) from None
    except urllib3.exceptions.ProtocolError:
        raise CalendarFetchFailed("The download of the calendar was cut off before its end.") from None
    except urllib3.exceptions.DecodeError:
        raise CalendarFetchFailed("The calendar's server sent a damaged (badly compressed) file.") from None
    return b"".join(chunks)


def _no_answer(seconds: int) -> str:
    return f"The calendar's server did not answer within {seconds} seconds."


def _too_large(limit: int) -> str:
    return f"The calendar is larger than {limit / (1024 * 1024):g} MB, the most that is read."


def _status_reason(status: int) -> str:
    if status in (401, 403):
        return (
            f"The calendar's server refused to share it (HTTP {status}): the address may have been reset. "
            "Copy the secret iCal address again."
        )
    if status in (404, 410):
        return f"The calendar's server has no calendar at this address (HTTP {status}): it may have been removed."
    if status == 429:
        return "The calendar's server asked us to slow down (HTTP 429); it is read again later."
    if status >= 500:
        return f"The calendar's server had an error (HTTP {status}); it is read again later."
    return f"The calendar's server answered HTTP {status} instead of the calendar."
