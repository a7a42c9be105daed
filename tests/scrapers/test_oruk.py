"""scrapers.oruk: mapping ORUK 3.0 services (pure, on bytes) and paging a feed on loopback."""

from __future__ import annotations

import json

import pytest

from scrapers.base import FetchFailed, ParseFailed
from scrapers.oruk import EXTENSION, OrukImporter, parse_category_map
from tests.scrapers.loopback import LoopbackServer, Reply
from tests.scrapers.oruk_payloads import full_service, serve_feed

CATEGORIES = {"arts-crafts": "arts-crafts", "arts and crafts": "arts-crafts"}


def test_a_full_service_maps_onto_a_record() -> None:
    result = OrukImporter(CATEGORIES).parse(json.dumps(full_service(1)).encode())
    assert result.rejected == []
    [record] = result.records
    assert record.external_id == "0b0e0000-0000-4000-8000-000000000001"
    assert record.name == "Knit and natter 1" and record.status == "active"
    assert record.organisation is not None and record.organisation.charity_number == "1234567"
    assert record.categories == ("arts-crafts",) and record.unmapped_terms == ("Knitting circles",)
    assert [(s.byday, s.opens_at, s.closes_at) for s in record.schedules or ()] == [
        ("TU", "10:00", "12:00"),
        ("TH", "10:00", "12:00"),
    ]
    assert record.locations is not None and record.locations[0].postcode == "FY1 1PX"
    assert record.service_areas == ("E06000009",)
    assert record.is_free is True and record.minimum_age == 18
    assert record.contacts is not None and record.contacts[0].name == "Ann Persona"


def test_statuses_map_onto_ours() -> None:
    importer = OrukImporter()
    for theirs, ours in [("temporarily closed", "paused"), ("defunct", "closed"), ("inactive", "paused")]:
        [record] = importer.parse(json.dumps(full_service(1, status=theirs)).encode()).records
        assert record.status == ours


def test_cost_options_make_a_paid_service_with_its_price() -> None:
    service = full_service(1, fees="", cost_options=[{"id": "x", "option": "Per session", "amount": 3}])
    [record] = OrukImporter().parse(json.dumps(service).encode()).records
    assert record.is_free is False and record.cost_description == "Per session £3"


def test_the_extension_carries_what_the_standard_does_not() -> None:
    ext = {"waiting_time": {"weeks": 6, "reported_at": "2026-01-01T00:00:00"}, "capacity": "waiting-list",
           "funded_until": "2026-12-31", "funding_status": "time-limited", "gender": "women"}  # fmt: skip
    [record] = OrukImporter().parse(json.dumps(full_service(1, **{EXTENSION: ext})).encode()).records
    assert (record.waiting_weeks, record.capacity, record.funded_until, record.gender) == (
        6,
        "waiting-list",
        "2026-12-31",
        "women",
    )


def test_a_page_envelope_and_a_list_are_read_too() -> None:
    envelope = {"contents": [full_service(1), full_service(2)], "total_items": 2}
    assert len(OrukImporter().parse(json.dumps(envelope).encode()).records) == 2
    assert len(OrukImporter().parse(json.dumps([full_service(3)]).encode()).records) == 1


def test_a_service_without_a_name_is_rejected_by_id() -> None:
    result = OrukImporter().parse(json.dumps([full_service(1, name=""), full_service(2)]).encode())
    assert [r.name for r in result.records] == ["Knit and natter 2"]
    assert [(r.where, r.reason) for r in result.rejected] == [
        ("service 0b0e0000-0000-4000-8000-000000000001", "the service has no name")
    ]


@pytest.mark.parametrize("payload", [b"{not json", b"\xff\xfe", b"42", b'"text"'])
def test_malformed_json_is_a_parse_failure(payload: bytes) -> None:
    with pytest.raises(ParseFailed):
        OrukImporter().parse(payload)


def test_the_category_table_reads_json_and_csv() -> None:
    assert parse_category_map('{"Knitting": "arts-crafts"}') == {"knitting": "arts-crafts"}
    assert parse_category_map("# term,code\nKnitting, arts-crafts\nDebt advice,money") == {
        "knitting": "arts-crafts",
        "debt advice": "money",
    }
    with pytest.raises(ValueError, match="line 1"):
        parse_category_map("no comma here")


def test_fetch_pages_through_services_and_fetches_each_full_service(server: LoopbackServer) -> None:
    services = [full_service(n) for n in range(1, 8)]
    base = serve_feed(server, services)
    payloads = list(OrukImporter(allow_private=True, per_page=3).fetch(base))
    assert [json.loads(p)["id"] for p in payloads] == [s["id"] for s in services]
    pages = [path for method, path, _ in server.requests if path.startswith("/oruk/services?")]
    assert pages == [f"/oruk/services?page={n}&per_page=3" for n in (1, 2, 3)]


def test_an_empty_feed_yields_nothing(server: LoopbackServer) -> None:
    base = serve_feed(server, [])
    assert list(OrukImporter(allow_private=True).fetch(base)) == []


def test_a_malformed_page_fails_the_fetch(server: LoopbackServer) -> None:
    server.routes["/bad/services"] = Reply(b"<html>Oops</html>")
    with pytest.raises(FetchFailed, match="not valid JSON"):
        list(OrukImporter(allow_private=True).fetch(server.url + "/bad"))


def test_a_feed_that_repeats_its_first_page_forever_is_stopped(server: LoopbackServer) -> None:
    service = full_service(1)
    server.routes["/loop/services"] = Reply(
        json.dumps({"contents": [service], "total_pages": 99, "last_page": False}).encode()
    )
    server.routes[f"/loop/services/{service['id']}"] = Reply(json.dumps(service).encode())
    with pytest.raises(FetchFailed, match="repeats the same services"):
        list(OrukImporter(allow_private=True).fetch(server.url + "/loop"))
