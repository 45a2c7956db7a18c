"""core.places: a ZIP code or a city, as people write them, resolved offline; what cannot be found is explained."""

import pytest

from marketplace.core.errors import ValidationFailed
from marketplace.core.places import Place, resolve_place


@pytest.mark.parametrize(
    ("text", "name", "near"),
    [
        ("11216", "11216 (Brooklyn, NY)", (40.68, -73.95)),
        ("11216-1234", "11216 (Brooklyn, NY)", (40.68, -73.95)),
        ("Brooklyn, NY", "Brooklyn, NY", (40.66, -73.96)),
        ("  brooklyn   ny ", "Brooklyn, NY", (40.66, -73.96)),
        ("Chicago,IL", "Chicago, IL", (41.87, -87.67)),
        ("Boise", "Boise, ID", (43.6, -116.21)),  # one state has it: no need to say which
        ("Los Angeles, CA", "Los Angeles, CA", (34.06, -118.28)),  # not pulled off by a stray ZIP code
    ],
)
def test_places_people_write_are_found(text, name, near):
    place = resolve_place(text)

    assert place.name == name
    assert abs(place.latitude - near[0]) < 0.05 and abs(place.longitude - near[1]) < 0.05
    assert place.time_zone in ("America/New_York", "America/Chicago", "America/Boise", "America/Los_Angeles")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Give a ZIP code or a city with its state"),
        ("   ", "Give a ZIP code or a city with its state"),
        ("00000", "ZIP code 00000 does not exist"),
        ("1234", "A ZIP code has five digits"),
        ("123456", "A ZIP code has five digits"),
        ("Springfield", "Several places are called Springfield (AR, CO"),
        ("Springfield, ZZ", "We could not find 'Springfield, ZZ'"),
        ("Atlantis, NY", "We could not find 'Atlantis, NY'"),
        ("x" * 121, "at most 120 characters"),
    ],
)
def test_what_cannot_be_found_says_what_to_give_instead(text, message):
    with pytest.raises(ValidationFailed, match=message.replace("(", r"\(")) as refused:
        resolve_place(text, field="near")

    assert refused.value.field == "near"


def fake_geocoder(text):
    """A production geocoder as PLACE_GEOCODER names one: it knows one street address."""
    return Place("1 Main St, Springfield, IL", 39.8, -89.65, "America/Chicago") if text == "1 Main St" else None


def test_a_configured_geocoder_is_asked_first_and_the_gazetteer_answers_the_rest(settings):
    settings.PLACE_GEOCODER = "tests.core.test_places.fake_geocoder"

    assert resolve_place("1 Main St").name == "1 Main St, Springfield, IL"
    assert resolve_place("11216").name == "11216 (Brooklyn, NY)"
