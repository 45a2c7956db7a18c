"""Benchmark: the search (``bookings.search.service_find``) over 100,000 or 1,000,000 services, on PostgreSQL.

    python3 dev.py bench search                      100,000 services (make bench-search)
    python3 dev.py bench search --services 1000000   a million (twenty times a 50,000 run's generation)
    python3 dev.py bench search --keep               keep the generated database; --reuse takes it up again
    python3 dev.py bench search --explain            EXPLAIN (ANALYZE, BUFFERS) of each raw query too

What it does:

1. Creates tidynest_bench_search_<size> on the PostgreSQL server DATABASE_URL names (else
   127.0.0.1:5432 as postgres), migrates it, and fills it in bulk SQL (``generate``: INSERT ...
   SELECT over generate_series, CHUNK rows a statement, a rich progress bar per table), with
   deterministic pseudo-random values (PostgreSQL's ``hashint8extended`` of the row number, so a
   chunk is the same whichever order it runs in):
   - the demo's eight categories (fixtures/demo/categories.json), weighted so that about one
     service in eight is about closets;
   - one organizer (user + vendor, verified) per SERVICES_PER_VENDOR services, in one of CITIES
     (34 US metro areas, weighted: New York the most), placed up to ~14 km from its centre,
     with a radius of 10-50 km; one in five has its own polygon (an octagon PostGIS makes:
     ``ST_Buffer(centre::geography, 0.9 * radius, 'quad_segs=2')``), the others none (the
     circle of their radius); open 09:00-17:00 on weekdays, and at weekends for three in five;
   - the services: titles and summaries from each category's vocabulary, descriptions of three
     sentences from a shared pool; fixed (60 %), hourly (30 %) or quote (10 %); made over the
     last two years;
   - their ``catalog_searchentry`` rows, set-based from services, vendors and categories, with
     the texts ``catalog.search.documents.document_for`` writes; a circle's area is made by
     PostGIS, ``ST_AsGeoJSON(ST_Buffer(centre::geography, radius_m, 'quad_segs=16'), 6)::jsonb``
     (64 sides, as ``catalog.search.geo.circle``), and the bounding box from ST_XMin etc. of it,
     once per organizer (a temporary table its services' entries join);
     ratings are set directly per organizer (a quarter unreviewed; no review rows: a reindex
     would reset them); ``next_available_at`` is spread over the next 2 hours to 10 days (one
     in twenty: none) with ``next_available_checked_at`` = now(), and the run reads them as
     fresh (SEARCH_NEXT_AVAILABLE_TTL_SECONDS is set to a week), so it measures the search,
     not the slot engine;
   - ``catalog_searchword`` from the same texts (a regexp over the words of the distinct titles,
     summaries, descriptions, names and cities the entries are made of, ON CONFLICT DO NOTHING);
     the entries' secondary indexes (GIN, GiST, B-trees) are dropped before the load and made
     again after it from their own definitions; then ANALYZE.
2. Times, in this process with production settings (bench.dashboard_settings, DEBUG off) and
   production's cache (Redis at REDIS_URL, else the local one when it answers: the rate-limit
   counters; the database cache when none does, and the report says which), single client,
   --rounds times each after a warm-up, alternating: GET /api/v1/health (Django's test client:
   no gunicorn, as bench/slots.py and bench/dashboard.py), and for each SCENARIOS entry
   (a: words + category + a point in Manhattan; b: one broad word; c: free in 3 days near a
   point in Chicago; "near" is the engine's: the point lies in the service area, 10-50 km
   around an organizer's centre, so within ~25 km on average; the API has no radius):
   - the API, ``GET /api/v1/catalog/search`` with the query parameters (``api_get``, through
     the test client); an answer other than 200 is reported, and the row left empty;
   - ``service_find`` itself, called as the API's handler calls it;
   - the raw SQL it wraps: the hits and count statements of ``_PostgresSearch`` exactly as
     ``service_find`` sent them (recorded once through Django's execute_wrapper), replayed
     through psycopg on a connection of their own, without EXPLAIN.
   Reports p50 and p95 in ms, each p50 as a ratio to health's, the p95 as a ratio to the raw
   queries' p95, and PASS/MISS against each scenario's target (p95 within its ms, when it has
   one at that size, and within 2 x raw). --explain adds each raw statement's plan.
   A "free on" search asks the slot engine about its candidates a batch at a time until the
   page is full (``bookings.search``).

The database is dropped at the end unless --keep; --reuse keeps using one a --keep run left when
it holds the asked number of services. Results go to bench/results/search.json (not committed).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import (  # noqa: E402
    drop_database,
    maintenance,
    production_cache,
    recreate_database,
    server_url,
)

RESULTS = ROOT / "bench" / "results" / "search.json"
CATEGORIES_FILE = ROOT / "fixtures" / "demo" / "categories.json"
CHUNK = 10_000
SERVICES_PER_VENDOR = 10
ROUNDS = 200
WARM_UP = 10
TIMING_CAP_SECONDS = 300  # the timed rounds stop here, whatever --rounds says
NEXT_AVAILABLE_TTL_SECONDS = 7 * 86400

# (name, latitude, longitude, time zone, weight): where organizers work, the weight their share.
CITIES = (
    ("New York, NY", 40.7128, -74.0060, "America/New_York", 10),
    ("Los Angeles, CA", 34.0522, -118.2437, "America/Los_Angeles", 8),
    ("Chicago, IL", 41.8781, -87.6298, "America/Chicago", 6),
    ("Houston, TX", 29.7604, -95.3698, "America/Chicago", 5),
    ("Dallas, TX", 32.7767, -96.7970, "America/Chicago", 5),
    ("Phoenix, AZ", 33.4484, -112.0740, "America/Phoenix", 4),
    ("Philadelphia, PA", 39.9526, -75.1652, "America/New_York", 4),
    ("Austin, TX", 30.2672, -97.7431, "America/Chicago", 4),
    ("San Francisco, CA", 37.7749, -122.4194, "America/Los_Angeles", 4),
    ("Seattle, WA", 47.6062, -122.3321, "America/Los_Angeles", 4),
    ("Washington, DC", 38.9072, -77.0369, "America/New_York", 4),
    ("Boston, MA", 42.3601, -71.0589, "America/New_York", 4),
    ("Atlanta, GA", 33.7490, -84.3880, "America/New_York", 4),
    ("Miami, FL", 25.7617, -80.1918, "America/New_York", 4),
    ("San Antonio, TX", 29.4241, -98.4936, "America/Chicago", 3),
    ("San Diego, CA", 32.7157, -117.1611, "America/Los_Angeles", 3),
    ("San Jose, CA", 37.3382, -121.8863, "America/Los_Angeles", 3),
    ("Denver, CO", 39.7392, -104.9903, "America/Denver", 3),
    ("Minneapolis, MN", 44.9778, -93.2650, "America/Chicago", 3),
    ("Portland, OR", 45.5152, -122.6784, "America/Los_Angeles", 2),
    ("Nashville, TN", 36.1627, -86.7816, "America/Chicago", 2),
    ("Charlotte, NC", 35.2271, -80.8431, "America/New_York", 2),
    ("Detroit, MI", 42.3314, -83.0458, "America/Detroit", 2),
    ("Las Vegas, NV", 36.1699, -115.1398, "America/Los_Angeles", 2),
    ("Tampa, FL", 27.9506, -82.4572, "America/New_York", 2),
    ("Salt Lake City, UT", 40.7608, -111.8910, "America/Denver", 1),
    ("Kansas City, MO", 39.0997, -94.5786, "America/Chicago", 1),
    ("Columbus, OH", 39.9612, -82.9988, "America/New_York", 1),
    ("Indianapolis, IN", 39.7684, -86.1581, "America/Indiana/Indianapolis", 1),
    ("Raleigh, NC", 35.7796, -78.6382, "America/New_York", 1),
    ("Orlando, FL", 28.5383, -81.3792, "America/New_York", 1),
    ("St. Louis, MO", 38.6270, -90.1994, "America/Chicago", 1),
    ("Pittsburgh, PA", 40.4406, -79.9959, "America/New_York", 1),
    ("Sacramento, CA", 38.5816, -121.4944, "America/Los_Angeles", 1),
)

# Per category slug: its share of the services, the titles and the summaries its services get.
VOCABULARY = {
    "home-decluttering": (
        20,
        [
            "Whole-home declutter",
            "Declutter and reset",
            "Room-by-room decluttering",
            "Declutter coaching session",
            "Living room declutter",
            "Bedroom declutter and reset",
            "Kids' room declutter",
            "Minimalist home edit",
            "Spring declutter",
            "Clutter-free entryway",
        ],
        [
            "Room-by-room decluttering with a professional organizer: sort, donate and set up systems that last.",
            "We declutter at your pace, haul the donations and leave every room calm and easy to keep tidy.",
            "A hands-on session to declutter the rooms that feel heavy and give everything a home.",
            "Decluttering without the overwhelm: one zone at a time, finished before we leave.",
            "Clear the clutter, keep what you love, and learn a routine that keeps it that way.",
            "Declutter drawers, cupboards and shelves, with labels and storage that fit how you live.",
        ],
    ),
    "moving-relocation": (
        15,
        [
            "Moving day unpacking",
            "Pre-move declutter",
            "Packing and moving prep",
            "Unpack and organize",
            "Relocation organizing",
            "Moving out packing",
            "New home setup",
            "Kitchen unpacking after a move",
        ],
        [
            "Moving made calmer: we pack, label and unpack so your new home works from the first night.",
            "Before the movers come: declutter, pack room by room and label every box.",
            "After the move: unpack the boxes, set up the kitchen and organize every room.",
            "A moving plan, packing help and an organized new home without the chaos.",
            "Relocating? We sort what moves, what sells and what goes, then pack it properly.",
            "Unpacking and setup after moving day, bedrooms and kitchen first.",
        ],
    ),
    "closets-wardrobes": (
        11,
        [
            "Closet reset",
            "Walk-in closet organizing",
            "Wardrobe edit",
            "Closet makeover",
            "Seasonal closet swap",
            "Closet organizer install",
            "Reach-in closet refresh",
            "Kids' closet organizing",
        ],
        [
            "A closet that works: edit the wardrobe, donate what you no longer wear and organize the rest.",
            "Seasonal wardrobe swap and closet organizing, with hangers and bins that match.",
            "We declutter the closet, plan the shelves and install an organizer system that fits.",
            "From overflowing closet to calm wardrobe in one session.",
            "Closet organizing for shoes, bags and clothes, sorted by how often you wear them.",
        ],
    ),
    "garages-storage": (
        13,
        [
            "Garage organizing",
            "Garage declutter",
            "Storage unit cleanout",
            "Garage shelving and organizer setup",
            "Basement and storage organizing",
            "Attic declutter",
            "Tool and garage zone setup",
        ],
        [
            "Take back the garage: sort, donate, haul away and set up shelving and zones.",
            "Garage and storage organizing with racks, bins and labels that stay put.",
            "We empty the garage, sort everything into keep, sell and donate, then organize the rest.",
            "Basement, attic or storage unit: cleared out and organized so you can find things again.",
            "Garage declutter and organizer install, with room left for the car.",
        ],
    ),
    "kitchens-pantries": (
        12,
        [
            "Pantry organizing",
            "Kitchen reset",
            "Pantry refresh",
            "Kitchen cabinet organizing",
            "Fridge and pantry labelling",
            "Spice drawer organizing",
        ],
        [
            "A pantry you can see into: decanted, labelled and organized by how you cook.",
            "Kitchen cabinets and drawers organized, with the everyday things in reach.",
            "We clear expired food, group what is left and label every shelf of the pantry.",
            "Kitchen reset: counters cleared, cabinets organized, a system the whole family can follow.",
            "Pantry and fridge organizing with clear containers and labels.",
        ],
    ),
    "home-offices-paperwork": (
        10,
        [
            "Home office organizing",
            "Paperwork and filing",
            "Desk declutter",
            "Digital and paper files",
            "Bills and paperwork system",
        ],
        [
            "Paper piles sorted, shredded and filed, with a simple system for the mail that comes next.",
            "A home office that works: desk cleared, cables tamed, files organized.",
            "We set up filing for bills, taxes and records, and a routine to keep it current.",
            "Declutter the desk and the paperwork, then organize what you need to keep.",
        ],
    ),
    "event-organizing": (
        6,
        [
            "Holiday decor storage",
            "Party prep organizing",
            "Event setup and teardown",
            "Wedding gift sorting",
        ],
        [
            "Holiday decorations sorted, packed and labelled so next year takes minutes.",
            "Party and event prep: supplies organized, setup planned, teardown handled.",
            "We organize the event space before guests arrive and pack it all away after.",
        ],
    ),
    "downsizing-estate": (
        13,
        [
            "Downsizing help",
            "Estate cleanout",
            "Senior move organizing",
            "Estate sale prep",
            "Downsizing declutter",
        ],
        [
            "Downsizing with care: decide what comes along, what goes to family and what is donated.",
            "Estate cleanout handled respectfully, room by room, with donations and hauling arranged.",
            "Senior moves planned and packed, and the new home set up before moving day.",
            "We sort a lifetime of belongings with you and organize the move to a smaller home.",
            "Estate sale preparation: sorting, pricing help and organizing what stays.",
        ],
    ),
}

# Descriptions: three of these each (organizing words, few of the searched ones).
SENTENCES = (
    "Every session starts with a short walk-through of the space and what you want from it.",
    "You decide what stays; we keep the pace and the momentum.",
    "Donations are dropped off at the end of the day, with receipts when available.",
    "We bring bins, labels and a label maker; larger storage is quoted separately.",
    "Sessions are booked in blocks so each one ends with a finished area.",
    "Our organizers are insured and background checked.",
    "Photos before and after are shared only with your permission.",
    "Families with kids and pets are welcome: we plan around nap times.",
    "We can coordinate with movers, cleaners and junk removal on the same day.",
    "Accessible, judgement-free help for busy people and for big life changes.",
    "A maintenance visit a month later keeps the new systems working.",
    "Virtual planning calls are available before the first visit.",
    "Shelving and containers can be bought for you and installed on the day.",
    "We recycle what we can and donate to local charities.",
    "Hazardous items such as paint and chemicals are set aside for proper disposal.",
    "Every zone gets a simple system that the whole household can keep up.",
    "Gift cards are available for friends and family.",
    "We work quietly and respectfully in occupied homes.",
    "Evening and weekend sessions can be arranged on request.",
    "Ask about packages of several sessions for larger homes.",
)

BUSINESS_FIRST = (
    "Tidy",
    "Calm",
    "Neat",
    "Fresh Start",
    "Simply",
    "Clear Space",
    "Order",
    "Nest",
    "Bright",
    "Open Door",
)
BUSINESS_LAST = ("Organizing", "Home Co.", "Organizing Studio", "Spaces", "Organizers", "Home Edit", "Living")


@dataclass(frozen=True)
class Scenario:
    """One measured search: its name, the API's query parameters, its target p95 (ms) per size."""

    key: str
    label: str
    params: dict
    target_ms: dict = field(default_factory=dict)  # {services: ms or None}; the nearest size at or below applies


def scenarios(*, closets_category_id: int, today: date) -> list[Scenario]:
    new_york, chicago = CITIES[0], CITIES[2]
    return [
        Scenario(
            "filtered",
            "a. 'declutter closet' + category + point (New York)",
            {
                "q": "declutter closet",
                "category_id": closets_category_id,
                "latitude": new_york[1],
                "longitude": new_york[2],
            },
            {100_000: 25.0, 1_000_000: 150.0},
        ),
        Scenario("broad", "b. 'closet' (broad)", {"q": "closet"}, {100_000: 50.0, 1_000_000: None}),
        Scenario(
            "free_on",
            "c. free in 3 days near a point (Chicago)",
            {"latitude": chicago[1], "longitude": chicago[2], "free_on": (today + timedelta(days=3)).isoformat()},
        ),
    ]


def target_for(scenario: Scenario, services: int) -> float | None:
    sizes = [size for size in scenario.target_ms if size <= services]
    return scenario.target_ms[max(sizes)] if sizes else None


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 dev.py bench search", description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=100_000, help="services to generate (default 100000)")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"timed calls of each (default {ROUNDS})")
    parser.add_argument("--chunk", type=int, default=CHUNK, help=f"rows per INSERT statement (default {CHUNK})")
    parser.add_argument("--keep", action="store_true", help="keep the database after the run")
    parser.add_argument("--reuse", action="store_true", help="use the database a --keep run left, if it fits")
    parser.add_argument(
        "--generate-only", action="store_true", help="stop after generating (time the generation, e.g. a partial run)"
    )
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of the raw queries")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the results")
    return parser.parse_args(argv)


def database_name(services: int) -> str:
    label = f"{services // 1_000_000}m" if services % 1_000_000 == 0 else f"{services // 1000}k"
    return f"tidynest_bench_search_{label if services >= 1000 else services}"


# --- The data ---------------------------------------------------------------------------------

# u(k, salt): a pseudo-random number in [0, 1) from the row number, the same on every run.
_FUNCTIONS = """
CREATE OR REPLACE FUNCTION pg_temp.bench_u(k bigint, salt bigint) RETURNS double precision
LANGUAGE sql IMMUTABLE AS
$$ SELECT (hashint8extended(k, salt) & 9007199254740991)::double precision / 9007199254740992.0 $$
"""


def _pick(array: str, salt: int, key: str = "k") -> str:
    """SQL choosing one element of the text[] ``array`` by the row's ``key``."""
    return f"({array})[1 + floor(pg_temp.bench_u({key}, {salt}) * cardinality({array}))::int]"


def _categories() -> list[tuple[int, str, str]]:
    """The demo's categories, made when missing: (id, slug, name), in the fixtures' order."""
    from marketplace.catalog.models import Category

    made = []
    fixtures = json.loads(CATEGORIES_FILE.read_text())["categories"]
    for position, entry in enumerate(fixtures):
        category, _ = Category.objects.get_or_create(
            slug=entry["slug"], defaults={"name": entry["title"], "position": position}
        )
        made.append((category.pk, category.slug, category.name))
    return made


def _base(cursor, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(max(id), 0) + 1 FROM {table}")  # nosec B608  # table: a constant of this module
    return cursor.fetchone()[0]


def _reset_sequence(cursor, table: str) -> None:
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(max(id), 1) FROM {table}))"  # nosec B608  # table: a constant
    )


def generate(services: int, *, chunk: int = CHUNK, progress=None) -> dict:
    """Make ``services`` services with their organizers, search entries and words in bulk SQL (PostgreSQL).

    ``progress(table, done, total)`` is called after every statement. Returns what was made.
    """
    from django.db import connection, transaction

    vendors = -(-services // SERVICES_PER_VENDOR)
    categories = _categories()
    advance = progress or (lambda *_: None)
    seconds: dict[str, float] = {}
    clock = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_FUNCTIONS)
        cursor.execute(
            "CREATE TEMP TABLE bench_city (name text, lat float8, lon float8, tz text, low float8, high float8) "
            "ON COMMIT DROP"
        )
        total, low = sum(c[4] for c in CITIES), 0.0
        rows = []
        for name, lat, lon, zone, weight in CITIES:
            high = low + weight / total
            rows.append((name, lat, lon, zone, low, 1.0 if name == CITIES[-1][0] else high))
            low = high
        cursor.executemany("INSERT INTO bench_city VALUES (%s, %s, %s, %s, %s, %s)", rows)
        cursor.execute(
            "CREATE TEMP TABLE bench_category (id bigint, low float8, high float8, titles text[], summaries text[]) "
            "ON COMMIT DROP"
        )
        total, low = sum(VOCABULARY[slug][0] for _, slug, _ in categories), 0.0
        rows = []
        for index, (pk, slug, _) in enumerate(categories):
            weight, titles, summaries = VOCABULARY[slug]
            high = 1.0 if index == len(categories) - 1 else low + weight / total
            rows.append((pk, low, high, titles, summaries))
            low = high
        cursor.executemany("INSERT INTO bench_category VALUES (%s, %s, %s, %s, %s)", rows)
        # Each organizer's area (theirs, or the circle of their radius) and its box, made once for their services.
        cursor.execute(
            "CREATE TEMP TABLE bench_area (vendor_id bigint PRIMARY KEY, area jsonb, min_lat float8, max_lat float8, "
            "min_lon float8, max_lon float8, reviews int, rating float8) ON COMMIT DROP"
        )

        user_base, vendor_base = _base(cursor, "accounts_user"), _base(cursor, "vendors_vendor")
        service_base = _base(cursor, "catalog_service")
        city = "JOIN bench_city c ON pg_temp.bench_u(k, 1) >= c.low AND pg_temp.bench_u(k, 1) < c.high"
        for lo in range(0, vendors, chunk):
            params = {"lo": lo, "hi": min(vendors, lo + chunk), "ub": user_base, "vb": vendor_base}
            cursor.execute(
                f"""
                INSERT INTO accounts_user (id, password, is_superuser, first_name, last_name, is_staff, is_active,
                                           date_joined, email, role, full_name, phone, time_zone)
                SELECT %(ub)s + k, '!bench', false, '', '', false, true, now(),
                       'search-organizer-' || k || '@bench.test', 'vendor', 'Organizer ' || k, '', c.tz
                FROM generate_series(%(lo)s, %(hi)s - 1) AS k {city}
                """,  # nosec B608  # constant SQL fragments; the values are bound
                params,
            )
            cursor.execute(
                f"""
                INSERT INTO vendors_vendor (
                    id, created_at, updated_at, business_name, slug, tagline, bio, city, latitude, longitude,
                    service_radius_km, service_area_geojson, time_zone, buffer_after_minutes, buffer_before_minutes,
                    verification_status, verification_reason, verified_at, payouts_need_approval, user_id,
                    new_bookings_paused_reason, service_area_place, jobs_completed)
                SELECT %(vb)s + k, made, made, name, 'search-organizer-' || k, '', '', city, lat, lon, radius,
                       CASE WHEN pg_temp.bench_u(k, 5) < 0.2 THEN ST_AsGeoJSON(ST_Buffer(
                           ST_SetSRID(ST_MakePoint(lon::float8, lat::float8), 4326)::geography,
                           radius * 900.0, 'quad_segs=2'), 6)::jsonb END,
                       tz, 0, 0, 'verified', '', now(), false, %(ub)s + k, '', '', 0
                FROM (
                    SELECT k, c.name AS city, c.tz,
                           now() - make_interval(days => floor(pg_temp.bench_u(k, 6) * 1000)::int) AS made,
                           {_pick("%(first)s::text[]", 7)} || ' ' || {_pick("%(last)s::text[]", 8)}
                               || ' of ' || split_part(c.name, ',', 1) AS name,
                           round((c.lat + (pg_temp.bench_u(k, 2) - 0.5) * 0.25)::numeric, 6) AS lat,
                           round((c.lon + (pg_temp.bench_u(k, 3) - 0.5) * 0.3)::numeric, 6) AS lon,
                           10 + floor(pg_temp.bench_u(k, 4) * 41)::int AS radius
                    FROM generate_series(%(lo)s, %(hi)s - 1) AS k {city}
                ) AS v
                """,  # nosec B608  # constant SQL fragments; the values are bound
                {**params, "first": list(BUSINESS_FIRST), "last": list(BUSINESS_LAST)},
            )
            cursor.execute(
                """
                INSERT INTO availability_availabilityrule (weekday, start_time, end_time, vendor_id)
                SELECT d, time '09:00', time '17:00', %(vb)s + k
                FROM generate_series(%(lo)s, %(hi)s - 1) AS k CROSS JOIN generate_series(0, 6) AS d
                WHERE d < 5 OR pg_temp.bench_u(k, 9) < 0.6
                """,
                params,
            )
            cursor.execute(
                """
                INSERT INTO bench_area
                SELECT id, area, ST_YMin(g), ST_YMax(g), ST_XMin(g), ST_XMax(g), reviews,
                       CASE WHEN reviews > 0 THEN round((3.2 + 1.8 * sqrt(pg_temp.bench_u(id, 43)))::numeric, 2) END
                FROM (
                    SELECT id, area, ST_GeomFromGeoJSON(area::text) AS g, reviews
                    FROM (
                        SELECT v.id,
                               COALESCE(v.service_area_geojson, ST_AsGeoJSON(ST_Buffer(
                                   ST_SetSRID(ST_MakePoint(v.longitude::float8, v.latitude::float8), 4326)::geography,
                                   v.service_radius_km * 1000.0, 'quad_segs=16'), 6)::jsonb) AS area,
                               CASE WHEN pg_temp.bench_u(v.id, 41) < 0.25 THEN 0
                                    ELSE 1 + floor(pg_temp.bench_u(v.id, 42) ^ 2 * 120)::int END AS reviews
                        FROM vendors_vendor v WHERE v.id >= %(vb)s + %(lo)s AND v.id < %(vb)s + %(hi)s
                    ) AS made
                ) AS shaped
                """,
                params,
            )
            advance("organizers", params["hi"], vendors)
        cursor.execute("ANALYZE bench_area")
        seconds["organizers"], clock = time.monotonic() - clock, time.monotonic()

        for lo in range(0, services, chunk):
            params = {"lo": lo, "hi": min(services, lo + chunk), "sb": service_base, "vb": vendor_base}
            cursor.execute(
                f"""
                INSERT INTO catalog_service (
                    id, created_at, updated_at, title, slug, summary, description, pricing_model, base_price_minor,
                    currency, duration_minutes, instant_booking, is_active, vendor_id, category_id,
                    cancellation_policy, allowed_durations)
                SELECT %(sb)s + k, made, made, title,
                       trim(both '-' from lower(regexp_replace(title, '[^A-Za-z0-9]+', '-', 'g'))) || '-' || k,
                       summary, description, model,
                       CASE model WHEN 'hourly' THEN (50 + floor(pg_temp.bench_u(k, 18) * 100)) * 100
                                  WHEN 'fixed' THEN (80 + floor(pg_temp.bench_u(k, 18) * 520)) * 100
                                  ELSE (100 + floor(pg_temp.bench_u(k, 18) * 300)) * 100 END,
                       %(currency)s, CASE model WHEN 'hourly' THEN 120
                                     ELSE 60 + 30 * floor(pg_temp.bench_u(k, 19) * 10)::int END,
                       true, true, %(vb)s + k / {SERVICES_PER_VENDOR}, category_id, 'moderate', '[]'::jsonb
                FROM (
                    SELECT k, cat.id AS category_id,
                           {_pick("cat.titles", 12)} AS title, {_pick("cat.summaries", 13)} AS summary,
                           {_pick("%(sentences)s::text[]", 14)} || ' ' || {_pick("%(sentences)s::text[]", 15)}
                               || ' ' || {_pick("%(sentences)s::text[]", 16)} AS description,
                           CASE WHEN pg_temp.bench_u(k, 17) < 0.6 THEN 'fixed'
                                WHEN pg_temp.bench_u(k, 17) < 0.9 THEN 'hourly' ELSE 'quote' END AS model,
                           now() - make_interval(secs => pg_temp.bench_u(k, 20) * 730 * 86400) AS made
                    FROM generate_series(%(lo)s, %(hi)s - 1) AS k
                    JOIN bench_category cat
                      ON pg_temp.bench_u(k, 11) >= cat.low AND pg_temp.bench_u(k, 11) < cat.high
                ) AS s
                """,  # nosec B608  # constant SQL fragments; the values are bound
                {**params, "sentences": list(SENTENCES), "currency": _currency()},
            )
            advance("services", params["hi"], services)
        seconds["services"], clock = time.monotonic() - clock, time.monotonic()

        for name in ("accounts_user", "vendors_vendor", "catalog_service", "availability_availabilityrule"):
            _reset_sequence(cursor, name)

        # An empty table is filled without its secondary indexes, which are made again after (the
        # definitions the migrations gave them, read back from pg_indexes): one GIN and one GiST
        # build instead of millions of index insertions.
        cursor.execute("SELECT EXISTS (SELECT 1 FROM catalog_searchentry)")
        rebuilt = []
        if not cursor.fetchone()[0]:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'catalog_searchentry' "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            )
            rebuilt = cursor.fetchall()
            for index_name, _ in rebuilt:
                cursor.execute(f'DROP INDEX "{index_name}"')
        for lo in range(0, services, chunk):
            params = {"lo": service_base + lo, "hi": service_base + min(services, lo + chunk)}
            cursor.execute(
                """
                INSERT INTO catalog_searchentry (
                    service_id, vendor_id, category_id, pricing_model, price_minor, rating_average, rating_count,
                    text_a, text_b, text_c, text_d, latitude, longitude, area,
                    min_latitude, max_latitude, min_longitude, max_longitude,
                    created_at, next_available_at, next_available_checked_at)
                SELECT s.id, s.vendor_id, s.category_id, s.pricing_model, s.base_price_minor, a.rating, a.reviews,
                       s.title, c.name || ' ' || v.business_name, s.summary, s.description || ' ' || v.city,
                       v.latitude::float8, v.longitude::float8, a.area, a.min_lat, a.max_lat, a.min_lon, a.max_lon,
                       s.created_at,
                       CASE WHEN pg_temp.bench_u(s.id, 31) >= 0.05
                            THEN now() + make_interval(secs => 7200 + pg_temp.bench_u(s.id, 32) * 10 * 86400) END,
                       now()
                FROM catalog_service s
                JOIN vendors_vendor v ON v.id = s.vendor_id
                JOIN catalog_category c ON c.id = s.category_id
                JOIN bench_area a ON a.vendor_id = s.vendor_id
                WHERE s.id >= %(lo)s AND s.id < %(hi)s
                """,
                params,
            )
            advance("search entries", params["hi"] - service_base, services)
        seconds["search entries"], clock = time.monotonic() - clock, time.monotonic()
        # The words of the entries' texts: each text is a service's title, summary or description, a
        # category's or organizer's name, or a city, joined by spaces, so the words of the distinct
        # ones are the words of every entry (a regexp over 30 words a row for a million rows is not).
        cursor.execute(
            """
            INSERT INTO catalog_searchword (word)
            SELECT DISTINCT lower(m[1])
            FROM (
                SELECT title AS t FROM catalog_service WHERE id >= %(sb)s
                UNION SELECT summary FROM catalog_service WHERE id >= %(sb)s
                UNION SELECT description FROM catalog_service WHERE id >= %(sb)s
                UNION SELECT business_name FROM vendors_vendor WHERE id >= %(vb)s
                UNION SELECT city FROM vendors_vendor WHERE id >= %(vb)s
                UNION SELECT name FROM catalog_category
            ) AS texts, regexp_matches(texts.t, '([[:alpha:]]{3,64})', 'g') AS m
            ON CONFLICT DO NOTHING
            """,
            {"sb": service_base, "vb": vendor_base},
        )
        seconds["words"], clock = time.monotonic() - clock, time.monotonic()
        if rebuilt:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred FK checks now: no index build after them
        for _, definition in rebuilt:
            cursor.execute(definition)
        seconds["indexes"] = time.monotonic() - clock
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE search_vector @@ to_tsquery('english', 'closet')), "
            "count(*) FILTER (WHERE search_vector @@ to_tsquery('english', 'declutter')), "
            "count(*) FILTER (WHERE search_vector @@ to_tsquery('english', 'garage')), "
            "count(*) FILTER (WHERE search_vector @@ to_tsquery('english', 'moving')) "
            "FROM catalog_searchentry WHERE service_id >= %s",
            [service_base],
        )
        entries, closet, declutter, garage, moving = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM catalog_searchword")
        words = cursor.fetchone()[0]
    return {
        "services": services,
        "vendors": vendors,
        "entries": entries,
        "words": words,
        "share_closet": round(closet / entries, 3) if entries else 0.0,
        "share_declutter": round(declutter / entries, 3) if entries else 0.0,
        "share_garage": round(garage / entries, 3) if entries else 0.0,
        "share_moving": round(moving / entries, 3) if entries else 0.0,
        "first_service_id": service_base,
        "seconds": {name: round(value, 1) for name, value in seconds.items()},
    }


def _currency() -> str:
    from django.conf import settings

    return settings.MARKETPLACE_CURRENCY


def generate_with_progress(services: int, *, chunk: int) -> dict:
    """``generate`` with a rich progress bar per table, then ANALYZE."""
    from django.db import connection
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    vendors = -(-services // SERVICES_PER_VENDOR)
    with Progress(
        TextColumn("    {task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
    ) as bar:
        tasks = {
            "organizers": bar.add_task("organizers", total=vendors),
            "services": bar.add_task("services", total=services),
            "search entries": bar.add_task("search entries", total=services),
        }

        def progress(table: str, done: int, total: int) -> None:
            bar.update(tasks[table], completed=done)

        made = generate(services, chunk=chunk, progress=progress)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return made


def _reusable(server: str, name: str, services: int) -> bool:
    import psycopg

    with maintenance(server) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            return False
    url = urlsplit(server)._replace(path=f"/{name}").geturl()
    try:
        with psycopg.connect(url) as connection:
            found = connection.execute("SELECT count(*) FROM catalog_searchentry").fetchone()[0]
    except psycopg.Error:
        return False
    return found == services


def refresh_reused(cursor) -> None:
    """A reused database's next available times that have passed (or nearly) move ahead again."""
    cursor.execute(
        "UPDATE catalog_searchentry SET next_available_at = now() + interval '2 hours' "
        "+ (next_available_at - date_trunc('day', next_available_at)), next_available_checked_at = now() "
        "WHERE next_available_at < now() + interval '1 hour'"
    )
    cursor.execute(
        "UPDATE catalog_searchentry SET next_available_checked_at = now() "
        "WHERE next_available_checked_at < now() - interval '6 days'"
    )


# --- The timed run ------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def api_get(client, params: dict):
    """GET /api/v1/catalog/search with these query parameters (the API measurement: one function)."""
    return client.get("/api/v1/catalog/search?" + urlencode({k: v for k, v in params.items() if v is not None}))


def find(params: dict):
    """``service_find`` for the API's query parameters, as its handler calls it (first page of 20)."""
    from marketplace.bookings.search import service_find
    from marketplace.catalog.search.criteria import search_criteria

    arguments = dict(params)
    if "free_on" in arguments:
        arguments["free_on"] = date.fromisoformat(arguments["free_on"])
    return service_find(search_criteria(**arguments), page=1, page_size=20, with_facets=False)


def recorded_statements(params: dict) -> list[tuple[str, str, object]]:
    """The engine's statements one ``service_find`` sends: (kind, sql, params), kind hits, count or words."""
    from django.db import connection

    statements: list[tuple[str, str, object]] = []

    def record(execute, sql, sql_params, many, context):
        if "catalog_searchentry e" in sql:
            statements.append(("hits" if "ORDER BY" in sql else "count", sql, sql_params))
        elif "catalog_searchword" in sql:
            statements.append(("words", sql, sql_params))
        return execute(sql, sql_params, many, context)

    with connection.execute_wrapper(record):
        find(params)
    return statements


def raw_runner(url: str, statements: list[tuple[str, str, object]]):
    """A callable running the hits and count statements on a psycopg connection of its own (client-side binding)."""
    import psycopg

    connection = psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor)
    timed = [(sql, params) for kind, sql, params in statements if kind in ("hits", "count")]

    def run() -> int:
        rows = 0
        with connection.cursor() as cursor:
            for sql, params in timed:
                cursor.execute(sql, params)
                rows += len(cursor.fetchall())
        return rows

    return connection, run


def explain(connection, statements) -> dict[str, str]:
    plans = {}
    with connection.cursor() as cursor:
        for kind, sql, params in statements:
            if kind in ("hits", "count"):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plans[kind] = "\n".join(row[0] for row in cursor.fetchall())
    return plans


def time_calls(database_url: str, cases: list[Scenario], rounds: int, *, want_plans: bool) -> dict:
    """Health, and for each case the API, service_find and the raw SQL: alternating, ``rounds`` times each."""
    from django.test import Client

    client = Client(raise_request_exception=False)
    calls = {"health": lambda: client.get("/api/v1/health")}
    api_status, found, plans, connections = {}, {}, {}, []
    for case in cases:
        statements = recorded_statements(case.params)
        connection, raw = raw_runner(database_url, statements)
        connections.append(connection)
        if want_plans:
            plans[case.key] = explain(connection, statements)
        results = find(case.params)
        found[case.key] = {
            "page": len(results.services),
            "total": results.total,
            "total_exact": results.total_exact,
            "statements": [kind for kind, _, _ in statements],
        }
        quiet = logging.getLogger("django.request")
        level, quiet.level = quiet.level, logging.CRITICAL  # a 500 is reported in the table, not traced here
        try:
            answer = api_get(client, case.params)
        finally:
            quiet.level = level
        api_status[case.key] = answer.status_code
        if answer.status_code == 200:
            calls[f"{case.key}:api"] = lambda case=case: api_get(client, case.params)
        calls[f"{case.key}:find"] = lambda case=case: find(case.params)
        calls[f"{case.key}:raw"] = raw
    for _ in range(WARM_UP):
        for call in calls.values():
            call()
    timings: dict[str, list[float]] = {name: [] for name in calls}
    began = time.monotonic()
    done = 0
    for _ in range(rounds):
        if time.monotonic() - began > TIMING_CAP_SECONDS:
            break
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            timings[name].append((time.perf_counter() - started) * 1000)
        done += 1
    for connection in connections:
        connection.close()
    return {"timings": timings, "api_status": api_status, "found": found, "plans": plans, "rounds": done}


def summarise(measured: dict, cases: list[Scenario], services: int) -> list[dict]:
    timings = measured["timings"]
    health = statistics.median(timings["health"])
    rows = [
        {
            "path": "GET /api/v1/health (test client)",
            "p50_ms": health,
            "p95_ms": percentile(timings["health"], 95),
            "x_health": 1.0,
        }
    ]
    for case in cases:
        raw = timings[f"{case.key}:raw"]
        raw_p50, raw_p95 = statistics.median(raw), percentile(raw, 95)
        target = target_for(case, services)
        for kind, label in (("api", "GET /api/v1/catalog/search"), ("find", "service_find")):
            values = timings.get(f"{case.key}:{kind}")
            row = {"scenario": case.key, "label": case.label, "path": label, "raw_p50_ms": raw_p50}
            row.update(raw_p95_ms=raw_p95, target_ms=target)
            if not values:
                row.update(missing=f"answered {measured['api_status'].get(case.key)}")
                rows.append(row)
                continue
            p50, p95 = statistics.median(values), percentile(values, 95)
            ratio = p95 / raw_p95 if raw_p95 else 0.0
            verdict = (target is None or p95 <= target) and ratio <= 2.0
            row.update(p50_ms=p50, p95_ms=p95, x_health=p50 / health, x_raw=ratio, verdict=verdict)
            rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    header = (
        f"{'path':<34} {'p50':>7} {'p95':>7} {'raw p50':>8} {'raw p95':>8} {'x raw':>6} {'x hlth':>7} "
        f"{'target':>15} {'':>5}"
    )
    lines = [header, "-" * len(header)]
    scenario = None
    for row in rows:
        if row.get("label") and row["label"] != scenario:
            scenario = row["label"]
            lines.append(scenario)
        if "missing" in row:
            lines.append(f"  {row['path']:<32} {row['missing']} (not measured)")
            continue
        if "raw_p50_ms" not in row:
            lines.append(f"{row['path']:<34} {row['p50_ms']:>7.2f} {row['p95_ms']:>7.2f}")
            continue
        target = f"p95<={row['target_ms']:.0f}ms, 2x" if row["target_ms"] is not None else "p95 <= 2x raw"
        lines.append(
            f"  {row['path']:<32} {row['p50_ms']:>7.2f} {row['p95_ms']:>7.2f} {row['raw_p50_ms']:>8.2f} "
            f"{row['raw_p95_ms']:>8.2f} {row['x_raw']:>6.2f} {row['x_health']:>7.1f} {target:>15} "
            f"{'PASS' if row['verdict'] else 'MISS':>5}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    began = time.monotonic()
    server = server_url()
    parts = urlsplit(server)
    name = database_name(args.services)
    reuse = args.reuse and _reusable(server, name, args.services)
    if reuse:
        say(f"Reusing the database {name} ({args.services:,} services) on {parts.hostname}:{parts.port or 5432}")
        database_url = parts._replace(path=f"/{name}").geturl()
    else:
        say(f"Creating the database {name} on PostgreSQL {parts.hostname}:{parts.port or 5432}")
        database_url = recreate_database(server, name)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.dashboard_settings"  # production's, for an in-process client
    os.environ["RATE_LIMIT_SEARCH"] = "1000000/min"  # measure the work, not 429 answers
    os.environ["SEARCH_NEXT_AVAILABLE_TTL_SECONDS"] = str(NEXT_AVAILABLE_TTL_SECONDS)
    os.environ["SEARCH_ENGINE"] = "database"
    os.environ.pop("OPENSEARCH_URL", None)
    cache = production_cache()
    os.environ["REDIS_URL"] = cache
    say(f"Cache (rate-limit counters): {'Redis at ' + cache if cache else 'the database (no Redis answered)'}")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from marketplace.catalog.models import Category

    made, generated_seconds, measured = None, None, None
    try:
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        if reuse:
            with connection.cursor() as cursor:
                refresh_reused(cursor)
                cursor.execute("ANALYZE catalog_searchentry")
        else:
            say(f"Generating {args.services:,} services in bulk SQL ({args.chunk:,} rows a statement)")
            started = time.monotonic()
            made = generate_with_progress(args.services, chunk=args.chunk)
            generated_seconds = time.monotonic() - started
            say(
                f"  {made['services']:,} services, {made['vendors']:,} organizers, {made['words']:,} words in "
                f"{generated_seconds:.0f} s; 'closet' in {made['share_closet']:.0%}, 'declutter' in "
                f"{made['share_declutter']:.0%}, 'garage' in {made['share_garage']:.0%}, "
                f"'moving' in {made['share_moving']:.0%}; seconds: "
                + ", ".join(f"{table} {value:.0f}" for table, value in made["seconds"].items())
            )
        if not args.generate_only:
            closets = Category.objects.get(slug="closets-wardrobes").pk
            cases = scenarios(closets_category_id=closets, today=timezone.localdate())
            say(f"Timing health, the search API, service_find and the raw SQL: {args.rounds} rounds, alternating")
            measured = time_calls(database_url, cases, args.rounds, want_plans=args.explain)
    finally:
        if not args.keep:
            drop_database(server, name)
    elapsed = time.monotonic() - began
    if measured is None:
        print(f"Generation only: {args.services:,} services in {generated_seconds:.0f} s; whole run {elapsed:.0f} s.")
        return
    report(args, name, cases, measured, made, generated_seconds, elapsed)


def report(args, name, cases, measured, made, generated_seconds, elapsed) -> None:
    rows = summarise(measured, cases, args.services)
    print()
    print(
        f"Search benchmark: PostgreSQL database {name}, {args.services:,} services, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.2f}; {measured['rounds']} rounds; ms; in-process (Django test client, "
        "production settings)"
    )
    print(table(rows))
    for case in cases:
        found = measured["found"][case.key]
        print(
            f"  {case.label}: page of {found['page']}, total {found['total']}"
            f"{'' if found['total_exact'] else '+'}; statements {', '.join(found['statements'])}"
        )
    print("raw = the hits and count statements service_find sent, replayed through psycopg; x raw = p95 / raw p95")
    for key, plans in measured["plans"].items():
        for kind, plan in plans.items():
            print(f"\nEXPLAIN (ANALYZE, BUFFERS), {key}, {kind}:\n{plan}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "database": name,
                "services": args.services,
                "cpus": os.cpu_count(),
                "load_average": os.getloadavg(),
                "generated": made,
                "generation_seconds": round(generated_seconds, 1) if generated_seconds else None,
                "rounds": measured["rounds"],
                "scenarios": {case.key: case.params for case in cases},
                "api_status": measured["api_status"],
                "found": measured["found"],
                "results": rows,
                "plans": measured["plans"],
                "elapsed_seconds": round(elapsed, 1),
            },
            indent=2,
            default=str,
        )
        + "\n"
    )
    shown = args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json
    print(f"Results written to {shown}; whole run {elapsed:.0f} s.")


if __name__ == "__main__":
    main()
