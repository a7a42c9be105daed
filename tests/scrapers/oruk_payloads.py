"""Real-format ORUK 3.0 payloads (shaped like the published examples) for importer tests."""

from __future__ import annotations

import json
from typing import Any

from tests.scrapers.loopback import LoopbackServer, Reply


def full_service(number: int, **overrides: Any) -> dict[str, Any]:
    service: dict[str, Any] = {
        "id": f"0b0e0000-0000-4000-8000-{number:012d}",
        "name": f"Knit and natter {number}",
        "description": "A friendly group for people who like to knit, or want to learn.",
        "url": "https://example.org/knit",
        "email": "knit@example.org",
        "status": "active",
        "fees": "",
        "minimum_age": 18,
        "maximum_age": 99,
        "assured_date": "2026-01-15",
        "last_modified": "2026-01-15T10:30:45Z",
        "schedules": [
            {
                "id": "48102e86-bb50-41c4-8f1e-e269368c41d1",
                "freq": "WEEKLY",
                "byday": "TU,TH",
                "opens_at": "10:00:00",
                "closes_at": "12:00:00",
                "description": "Drop in",
            }
        ],
        "service_areas": [
            {"id": "381c64f1-a724-4884-9c21-ac96c21cca3e", "name": "Blackpool", "extent": "E06000009"}
        ],
        "service_at_locations": [
            {
                "id": "e94c9f38-1e8f-4564-91d4-d53501ab1765",
                "location": {
                    "id": "3a19ff88-4620-4d17-9830-ac1d859eb5d5",
                    "location_type": "physical",
                    "name": "Central Library",
                    "latitude": 53.817,
                    "longitude": -3.05,
                    "addresses": [
                        {
                            "id": "74706e55-df26-4b84-80fe-ecc30b5befb4",
                            "address_1": "Queen Street",
                            "city": "Blackpool",
                            "state_province": "Lancashire",
                            "postal_code": "FY1 1PX",
                            "country": "GB",
                            "address_type": "physical",
                        }
                    ],
                },
            }
        ],
        "organization": {
            "id": f"0c0e0000-0000-4000-8000-{number % 7:012d}",
            "name": f"Blackpool Crafters {number % 7}",
            "description": "Volunteers who run craft groups.",
            "website": "https://crafters.example.org",
            "organization_identifiers": [
                {"id": "d4dbcebc-0802-47cb-8651-b937ac4f2f3e", "identifier_scheme": "GB-CHC",
                 "identifier_type": "Charity number", "identifier": "1234567"}
            ],
        },
        "contacts": [{"id": "1e7efce3-639b-4880-940c-b95cd30cdb50", "name": "Ann Persona", "title": "Organiser"}],
        "attributes": [
            {
                "id": "ae58cc39-8b70-4ab1-8aea-786882e5ac8e",
                "link_type": "taxonomy_term",
                "taxonomy_term": {"id": "3f7b145d-84af-42d7-8fae-eaca714b02b2", "name": "Arts and crafts",
                                  "term": "arts-crafts", "taxonomy": "social-prescribing-needs"},
            },
            {
                "id": "be58cc39-8b70-4ab1-8aea-786882e5ac8e",
                "link_type": "taxonomy_term",
                "taxonomy_term": {"id": "4f7b145d-84af-42d7-8fae-eaca714b02b2", "name": "Knitting circles"},
            },
        ],
    }  # fmt: skip
    service.update(overrides)
    return service


def page(items: list[dict[str, Any]], number: int, per_page: int, total: int) -> dict[str, Any]:
    total_pages = max(1, -(-total // per_page))
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": number,
        "size": len(items),
        "first_page": number == 1,
        "last_page": number >= total_pages,
        "empty": not items,
        "contents": [
            {k: v for k, v in item.items() if not isinstance(v, list)} if isinstance(item, dict) else item
            for item in items
        ],
    }


def serve_feed(server: LoopbackServer, services: list[dict[str, Any]], prefix: str = "/oruk") -> str:
    """Serve an ORUK API of ``services`` at ``server.url + prefix`` and return its base URL."""
    by_id = {s["id"]: s for s in services}

    def services_page(path: str) -> Reply:
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(path).query)
        number = int(query.get("page", ["1"])[0])
        per_page = int(query.get("per_page", ["10"])[0])
        chunk = services[(number - 1) * per_page : number * per_page]
        return Reply(json.dumps(page(chunk, number, per_page, len(services))).encode())

    server.routes[f"{prefix}/services"] = services_page
    for service_id, service in by_id.items():
        server.routes[f"{prefix}/services/{service_id}"] = Reply(json.dumps(service).encode())
    return server.url + prefix
