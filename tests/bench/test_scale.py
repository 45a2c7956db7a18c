"""The scale-out benchmark's own logic (bench/scale.py, bench/machine.py): mixes, ratios, the table.

No server, no database: what it measures is only as good as the schedule it sends and the
arithmetic it reports.
"""

from collections import Counter

import pytest

from bench.machine import cores, cpu_spent
from bench.scale import (
    MixEntry,
    Slots,
    add_ratios,
    booking_mix,
    connection_summary,
    health_between,
    interleave,
    non_2xx,
    read_mix,
    schedule_lines,
    shares,
    spread,
    summary,
    table,
)

DATASET = {"read_service_ids": [11, 12, 13, 14, 15], "read_vendor_ids": [7, 8]}


def test_spread_shares_a_weight_among_paths_first_ones_taking_the_remainder():
    entries = spread("GET service", 25, ["/a", "/b", "/c"])

    assert [(e.path, e.weight) for e in entries] == [("/a", 9), ("/b", 8), ("/c", 8)]
    assert {e.name for e in entries} == {"GET service"}


def test_spread_leaves_out_paths_that_would_get_nothing_and_empty_lists():
    assert [e.path for e in spread("x", 2, ["/a", "/b", "/c"])] == ["/a", "/b"]
    assert spread("x", 5, []) == []


def test_the_read_mix_is_weighted_in_percent_and_reads_as_the_customer_only_their_bookings():
    entries = read_mix(DATASET, [101, 102, 103])

    assert sum(e.weight for e in entries) == 100
    assert shares(entries) == {
        "GET search": 0.25,
        "GET service": 0.25,
        "GET service slots": 0.10,
        "GET organizer": 0.10,
        "GET reviews": 0.10,
        "GET booking (customer)": 0.10,
        "GET categories": 0.05,
        "GET bookings (customer)": 0.05,
    }
    assert {e.path for e in entries if e.auth} == {
        "/api/v1/bookings/101",
        "/api/v1/bookings/102",
        "/api/v1/bookings/103",
        "/api/v1/bookings",
    }
    assert not any(e.book for e in entries)
    assert "/api/v1/catalog/search?q=closet" in {e.path for e in entries}
    assert "/api/v1/reviews?vendor_id=8" in {e.path for e in entries}


def test_the_booking_mix_books_six_requests_in_ten():
    entries = booking_mix(DATASET, [101])

    assert sum(e.weight for e in entries) == 100
    assert shares(entries)["POST booking"] == 0.60
    assert [e for e in entries if e.book] == [MixEntry("POST booking", 60, book=True)]


def test_interleave_keeps_the_weights_exactly_over_one_cycle():
    entries = read_mix(DATASET, [101, 102])
    cycle = interleave(entries)

    assert len(cycle) == 100
    assert Counter(cycle) == {e: e.weight for e in entries}


def test_interleave_spreads_each_kind_through_the_cycle_instead_of_a_burst():
    cycle = interleave([MixEntry("book", 3, book=True), MixEntry("read", 1, "/r")])

    assert [e.name for e in cycle] == ["book", "book", "read", "book"]
    long = interleave(booking_mix(DATASET, [101]))
    longest_run = max(len(run) for run in "".join("B" if e.book else "." for e in long).split("."))
    assert longest_run <= 3  # 60% bookings never come more than three in a row


def test_interleave_ignores_entries_of_no_weight():
    assert interleave([MixEntry("a", 0, "/a"), MixEntry("b", 2, "/b")]) == [MixEntry("b", 2, "/b")] * 2


def test_schedule_lines_are_what_wrk_lua_reads():
    cycle = [
        MixEntry("a", 1, "/api/v1/x?q=1"),
        MixEntry("b", 1, "/api/v1/bookings/5", auth=True),
        MixEntry("c", 1, book=True),
    ]

    assert schedule_lines(cycle) == ["GET\t0\t/api/v1/x?q=1", "GET\t1\t/api/v1/bookings/5", "BOOK"]


def test_slots_never_hand_out_a_booking_number_twice():
    slots = Slots()

    first = slots.take(100, 8)
    second = slots.take(5, 8)
    third = slots.take(1, 0)

    assert first == 0
    assert second >= 100 + 8  # wrk may send one request more per connection than it counts
    assert third >= second + 5 + 8


def test_non_2xx_counts_every_answer_outside_200_299():
    assert non_2xx({"200": 10, "201": 5, "204": 1}) == 0
    assert non_2xx({"201": 5, "301": 1, "409": 2, "500": 3}) == 6


def test_connection_summary():
    assert connection_summary([(4, 1), (4, 3), (3, 0), (4, 2)]) == {
        "connections_max": 4,
        "active_mean": 1.5,
        "active_max": 3,
    }
    assert connection_summary([]) == {"connections_max": 0, "active_mean": 0.0, "active_max": 0}


def test_cores_and_cpu_spent():
    assert cores(3.0, 2.0) == 1.5
    assert cores(1.0, 0.0) == 0.0
    # pid 3 started in between: all its time counts; pid 2 ended: its time is lost, not negative
    assert cpu_spent({1: 10.0, 2: 5.0}, {1: 12.5, 3: 0.5}) == pytest.approx(3.0)


def _row(rps, p=10.0):
    return {
        "requests": 100,
        "rps": rps,
        "p50_ms": p,
        "p90_ms": p * 2,
        "p99_ms": p * 3,
        "non_2xx": 0,
        "socket_errors": 0,
        "cores": {"app": 0.9, "postgres": 0.3, "wrk": 0.1, "other": 0.5},
        "db": {"connections_max": 1, "active_mean": 0.2, "commits_per_request": 3.5},
    }


def _round(workers, healths, read, booking):
    return {
        "workers": workers,
        "health": [_row(h) for h in healths],
        "read": _row(read),
        "booking": _row(booking),
        "worker_memory_kib": [{"rss": 163840, "pss": 143360}] * workers,
        "postgres_connections": workers,
        "redis_connections": workers,
    }


def test_each_mix_is_compared_with_the_health_runs_around_it_and_with_one_worker():
    rounds = [_round(1, [400, 600, 200], 100, 40), _round(2, [800, 800, 800], 160, 60)]

    add_ratios(rounds)

    assert health_between(rounds[0]["health"], 0) == 500
    assert rounds[0]["read"]["x_health"] == pytest.approx(100 / 500)  # health before 400, after 600
    assert rounds[0]["booking"]["x_health"] == pytest.approx(40 / 400)  # health before 600, after 200
    assert rounds[0]["read"]["x_first"] == 1.0
    assert rounds[1]["read"]["x_first"] == pytest.approx(1.6)
    assert rounds[1]["booking"]["x_first"] == pytest.approx(1.5)
    assert rounds[1]["health_x_first"] == pytest.approx(2.0)
    assert rounds[0]["read"]["cpu_ms_per_request"] == {"app": pytest.approx(9.0), "postgres": pytest.approx(3.0)}


def test_the_table_has_five_lines_per_worker_count_and_the_summary_one():
    rounds = [_round(1, [400, 600, 200], 100, 40), _round(4, [900, 900, 900], 180, 70)]
    add_ratios(rounds)

    lines = table(rounds)
    lines_summary = summary(rounds)

    assert len(lines) == 2 + 5 * 2
    assert [line.split()[1] for line in lines[2:7]] == ["health", "read", "health", "booking", "health"]
    read_line = lines[3].split()
    assert read_line[:4] == ["1", "read", "100", "100"]
    assert read_line[8:10] == ["0.20", "1.00"]
    assert read_line[-2:] == ["9.00", "3.00"]  # 0.9 and 0.3 cores at 100 req/s
    assert len(lines_summary) == 2 + 2
    assert lines_summary[3].split() == [
        *["4", "900", "180", "70", "1.80", "1.75", "160", "140", "4", "4"],
        *["5.0/1.7", "12.9/4.3"],  # CPU ms per request: 0.9 and 0.3 cores at 180 and at 70 req/s
    ]
