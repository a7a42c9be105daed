"""scrapers.oruk: a service's eligibility description and its places' accessibility are kept."""

from __future__ import annotations

import json

from scrapers.oruk import EXTENSION, OrukImporter
from tests.scrapers.oruk_payloads import full_service


def test_eligibility_description_and_location_accessibility_are_mapped() -> None:
    service = full_service(1, eligibility_description="Adults over 50 living in Fylde")
    location = service["service_at_locations"][0]["location"]
    location["accessibility"] = [
        {"id": "a1", "description": "Step-free entrance", "details": "ramp at the side door"},
        {"id": "a2", "description": "Hearing loop"},
        {"id": "a3", "description": "Hearing loop"},  # a repeat is kept once
        {"id": "a4"},  # says nothing: nothing kept
        "not an object",
    ]
    [record] = OrukImporter().parse(json.dumps(service).encode()).records
    assert record.eligibility_conditions == "Adults over 50 living in Fylde"
    assert record.locations is not None
    assert record.locations[0].accessibility == ("Step-free entrance: ramp at the side door", "Hearing loop")


def test_the_extension_wins_over_the_standard_field_for_eligibility() -> None:
    service = full_service(1, eligibility_description="Anyone")
    service[EXTENSION] = {"eligibility_conditions": "Carers only"}
    [record] = OrukImporter().parse(json.dumps(service).encode()).records
    assert record.eligibility_conditions == "Carers only"
