"""Reading the backlog (directory/backlog/queries.py): filters and sorts, and the nearest provision."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from directory.backlog import queries, workflow


def test_list_filters_by_need_area_status_and_assignee_and_sorts(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    big = flag(people["worker"], category="domestic-abuse", postcode="FY1 1AD").item
    flag(people["other_worker"], category="domestic-abuse", postcode="FY1 2AA")
    small = flag(people["worker"], category="domestic-abuse", postcode="BB11 2DL").item
    by_need = queries.list_items(session, queries.Filters(category="domestic-abuse", status="all", sort="flags"))
    assert [v.item.id for v in by_need] == [big.id, small.id]
    burnley = queries.list_items(session, queries.Filters(category="domestic-abuse", area="E07000117", status="all"))
    assert [v.item.id for v in burnley] == [small.id]
    for written in ("Burnley", " burnley ", "e07000117"):  # the name as people write it, or the code in any case
        named = queries.list_items(session, queries.Filters(category="domestic-abuse", area=written, status="all"))
        assert [v.item.id for v in named] == [small.id], written
    workflow.transition(session, big.id, "triaged", people["cdw"])
    session.commit()
    workflow.assign(session, big.id, people["cdw"], people["cdw"].id)
    session.commit()
    triaged = queries.list_items(session, queries.Filters(category="domestic-abuse", status="triaged"))
    assert [v.item.id for v in triaged] == [big.id]
    mine = queries.list_items(
        session, queries.Filters(category="domestic-abuse", status="all", assignee=str(people["cdw"].id))
    )
    assert [v.item.id for v in mine] == [big.id]
    nobody = queries.list_items(session, queries.Filters(category="domestic-abuse", status="all", assignee="none"))
    assert [v.item.id for v in nobody] == [small.id]


def test_filters_from_request_arguments_ignore_unknown_values() -> None:
    filters = queries.Filters.from_args({"status": "bogus", "sort": "nonsense", "area": " e06000009 "})
    assert (filters.status, filters.sort, filters.area) == ("open", "activity", "E06000009")


def test_nearest_provision_is_the_closest_live_service_of_the_need(
    flag: Callable[..., Any], people: dict[str, Any], session: Any, make_service: Callable[..., Any]
) -> None:
    item = flag(people["worker"], category="nature-environment", postcode="FY1 3AB").item
    near = make_service(name="Allotment Club", categories=["nature-environment"],
                        locations=[{"name": "Plot", "postcode": "FY1 3AB"}])  # fmt: skip
    make_service(name="Far Allotments", categories=["nature-environment"],
                 locations=[{"name": "Far", "postcode": "BB11 2DL"}])  # fmt: skip
    found = queries.nearest_provision(session, item, ["E01012673"])
    assert found and found[0].service.id == near.id and found[0].distance_km < 0.5
    assert all(n.service.name != "Far Allotments" for n in found)
