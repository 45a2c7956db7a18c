"""Where someone is: a US ZIP code or a city turned into a point, offline.

Organizers say where their service area is centred, and customers will say where they need
help, as people do: "11216", "11216-1234", "Brooklyn, NY", "brooklyn ny". The gazetteer is
the ZIP code list the ``zipcodes`` package ships (the US Postal Service's codes with their
coordinates), read once per process; a city is the centre of its ZIP codes, taken as the
median of their points (a mean is pulled far off by one stray code: Los Angeles by 300 km). No request
leaves the machine.

A production geocoder (street addresses, other countries) plugs in with the
``PLACE_GEOCODER`` setting: the dotted path of a callable ``(text) -> Place | None``, asked
first; when it knows nothing, the gazetteer answers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from statistics import median

from django.conf import settings
from django.utils.module_loading import import_string

from .errors import ValidationFailed

PLACE_MAX_LENGTH = 120
EXAMPLE = "a ZIP code or a city with its state, e.g. 11216 or Brooklyn, NY"

_ZIP = re.compile(r"^(\d{5})(?:-\d{4})?$")
# "Brooklyn, NY", "Brooklyn NY", "brooklyn,ny": a name, then a two-letter state at the end.
_CITY_STATE = re.compile(r"^(?P<city>.+?)[\s,]+(?P<state>[A-Za-z]{2})$")


@dataclass(frozen=True)
class Place:
    """A point people can name: what to call it, where it is, and the zone its clocks keep."""

    name: str
    latitude: float
    longitude: float
    time_zone: str = ""


@dataclass(frozen=True)
class _Gazetteer:
    by_zip: dict[str, Place]
    by_city: dict[str, dict[str, Place]]  # lower-case city -> state -> the centre of its ZIP codes


@cache
def _gazetteer() -> _Gazetteer:
    import zipcodes  # about 40,000 entries, read once per process

    by_zip: dict[str, Place] = {}
    points: dict[tuple[str, str], list[tuple[float, float, str, str]]] = defaultdict(list)
    for entry in zipcodes.list_all():
        if not entry.get("lat") or not entry.get("long"):
            continue
        lat, lon = float(entry["lat"]), float(entry["long"])
        name = f"{entry['city'].title()}, {entry['state']}"
        by_zip[entry["zip_code"]] = Place(f"{entry['zip_code']} ({name})", lat, lon, entry.get("timezone") or "")
        if entry.get("active") and entry.get("zip_code_type") == "STANDARD":
            points[(entry["city"].lower(), entry["state"])].append((lat, lon, name, entry.get("timezone") or ""))
    by_city: dict[str, dict[str, Place]] = defaultdict(dict)
    for (city, state), found in points.items():
        by_city[city][state] = Place(found[0][2], median(p[0] for p in found), median(p[1] for p in found), found[0][3])
    return _Gazetteer(by_zip=by_zip, by_city=dict(by_city))


def _from_gazetteer(text: str, *, field: str) -> Place:
    gazetteer = _gazetteer()
    if match := _ZIP.match(text):
        place = gazetteer.by_zip.get(match.group(1))
        if place is None:
            raise ValidationFailed(f"ZIP code {match.group(1)} does not exist. Check it, or give a city.", field=field)
        return place
    if text.isdigit() or text.replace("-", "").isdigit():
        raise ValidationFailed(f"A ZIP code has five digits. Give {EXAMPLE}.", field=field)
    normal = " ".join(text.split())
    if match := _CITY_STATE.match(normal):
        city, state = match.group("city").strip(" ,").lower(), match.group("state").upper()
        place = gazetteer.by_city.get(city, {}).get(state)
        if place is not None:
            return place
    states = gazetteer.by_city.get(normal.strip(" ,").lower(), {})
    if len(states) == 1:
        return next(iter(states.values()))
    if states:
        listed = ", ".join(sorted(states))
        city = next(iter(states.values())).name.split(",")[0]
        raise ValidationFailed(
            f"Several places are called {city} ({listed}). Add the state, e.g. {city}, {sorted(states)[0]}.",
            field=field,
        )
    raise ValidationFailed(f"We could not find '{normal}'. Give {EXAMPLE}.", field=field)


def resolve_place(text: str, *, field: str = "place") -> Place:
    """The point ``text`` names, or a ValidationFailed on ``field`` that says what to give instead."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(f"Give {EXAMPLE}.", field=field)
    if len(text) > PLACE_MAX_LENGTH:
        raise ValidationFailed(f"A place is at most {PLACE_MAX_LENGTH} characters. Give {EXAMPLE}.", field=field)
    geocoder = getattr(settings, "PLACE_GEOCODER", "")
    if geocoder:
        place = import_string(geocoder)(text)
        if place is not None:
            return place
    return _from_gazetteer(text, field=field)
