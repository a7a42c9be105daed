"""Search results as plain JSON-ready dicts (public fields, plus staff fields for staff)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, url_for

from geo.distance import haversine_km

from ..listings.freshness import age_in_words, wait_is_current
from ..listings.funding import funding
from ..listings.timetable import next_sessions
from .engine import Outcome, Result


def result_json(result: Result, *, staff: bool, now: datetime) -> dict[str, Any]:
    service = result.service
    wait = result.wait
    data: dict[str, Any] = {
        "id": service.id,
        "name": service.name,
        "organization": service.organization.name,
        "url": url_for("public.service", service_id=service.id, _external=True),
        "categories": [t.code for t in service.categories],
        "distance_km": None if result.distance_km is None else round(result.distance_km, 2),
        "covers_your_area": result.area_match,
        "next_sessions": next_sessions(service.schedules, now),
        "waiting_time": None
        if wait is None
        else {
            "weeks": wait.weeks,
            "reported_at": wait.reported_at.isoformat(),
            "age": age_in_words(wait.reported_at, now),
            "current": wait_is_current(wait.reported_at, current_app.config, now),
        },
        "warning": result.warning,
        "capacity": service.capacity,
        "funding_status": service.funding_status,
        "funded_until": service.funded_until.isoformat() if service.funded_until else None,
        "funding": funding(service.funding_status, service.funded_until, now.date()).full,
        "freshness": result.freshness.state,
        "freshness_label": result.freshness.label,
        "is_free": service.is_free,
        "phone": service.phone,
        "delivery_modes": service.delivery_modes,
        "referral_routes": service.referral_routes,
        "status": service.status,
    }
    if staff:
        data.update(
            {
                "funder": service.funder,
                "funding_notes": service.funding_notes,
                "internal_notes": service.internal_notes,
                "verified_by": service.verified_by,
                "relevance": round(result.relevance, 3),
            }
        )
    return data


def understood_json(outcome: Outcome, *, staff: bool, now: datetime) -> dict[str, Any]:
    """How the words were read, crisis lines for a query that signals risk, and what is offered instead of
    nothing (further away, related needs, by phone or online)."""
    understood = outcome.understood
    data: dict[str, Any] = {
        "understood": None
        if understood is None
        else {
            "needs": list(understood.needs),
            "corrections": [{"typed": t, "read_as": f} for t, f in understood.corrections],
        },
        "crisis_lines": []
        if outcome.risk is None
        else [
            {"name": line.name, "contact": line.how, "when": line.when, "for": line.for_what}
            for line in outcome.risk.lines
        ],
    }
    fallback = outcome.fallback
    if fallback is not None:
        data["instead"] = {
            "further_away": [result_json(r, staff=staff, now=now) for r in fallback.further],
            "within_km": fallback.further_km,
            "related_needs": [{"code": code, "name": name} for code, name in fallback.related],
            "by_phone_or_online": [result_json(r, staff=staff, now=now) for r in fallback.remote],
        }
    return data


def results_map(outcome: Outcome) -> dict[str, Any] | None:
    """What the results map draws: the client's postcode, the search radius and each numbered result at its
    place nearest the postcode (results with no place, such as phone lines, are left off). None without a
    postcode, or when no result has a place: then there is nothing to draw around."""
    origin = outcome.origin
    if origin is None:
        return None
    points = []
    for number, result in enumerate(outcome.results, start=1):
        places = [
            (float(loc.latitude), float(loc.longitude))
            for loc in result.service.locations
            if loc.latitude is not None and loc.longitude is not None
        ]
        if not places:
            continue
        latitude, longitude = min(places, key=lambda p: haversine_km(origin.latitude, origin.longitude, *p))
        points.append([number, round(latitude, 5), round(longitude, 5), result.service.name, result.service.id])
    if not points:
        return None
    return {
        "origin": [round(origin.latitude, 5), round(origin.longitude, 5), origin.postcode],
        "radiusKm": outcome.query.radius_km,
        "points": points,
    }


def results_said(outcome: Outcome, need_names: dict[str, str]) -> str:
    """The results in one line, for the page title and the status a screen reader announces:
    "12 services for ‘debt’ near BB11 1AA"."""
    query = outcome.query
    if outcome.matched_exact:
        count = f"{outcome.matched:,} service{'' if outcome.matched == 1 else 's'}"
    else:
        count = f"More than {outcome.matched:,} services"
    wanted = query.text or ", ".join(need_names.get(code, code) for code in query.categories)
    near = f" near {outcome.origin.postcode}" if outcome.origin is not None else ""
    return f"{count}{f' for ‘{wanted}’' if wanted else ''}{near}"
