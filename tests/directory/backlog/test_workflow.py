"""Gap flags and the backlog (directory/backlog.py): clustering, merge and split, workflow, history, export."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from directory.accounts.users import create_user
from directory.backlog import workflow as backlog
from directory.core.db import db
from directory.core.writes import NotPermitted
from directory.models import Postcode, User
from directory.models.backlog import BacklogEvent, BacklogItem, GapFlag, LsoaMsoa
from tests.conftest import PASSWORD

# Two LSOAs in one MSOA, a third in another MSOA, and a fourth whose MSOA the lookup does not know.
POSTCODES = (
    ("FY1 1AD", 53.8170, -3.0540, "E01012671", "E06000009"),
    ("FY1 2AA", 53.8260, -3.0540, "E01012672", "E06000009"),
    ("FY1 3AB", 53.8080, -3.0540, "E01012673", "E06000009"),
    ("BB11 2DL", 53.7890, -2.2450, "E01024999", "E07000117"),
)
MSOAS = {"E01012671": "E02002630", "E01012672": "E02002630", "E01012673": "E02002631"}


@pytest.fixture(scope="module", autouse=True)
def places(app: Flask) -> Iterator[None]:
    with app.app_context():
        for pcds, lat, lon, lsoa, lad in POSTCODES:
            db.session.add(Postcode(postcode_key=pcds.replace(" ", ""), pcds=pcds, latitude=lat, longitude=lon,
                                    lsoa_code=lsoa, lad_code=lad))  # fmt: skip
        for lsoa, msoa in MSOAS.items():
            db.session.add(LsoaMsoa(lsoa_code=lsoa, msoa_code=msoa))
        db.session.commit()
        db.session.remove()
    yield


@pytest.fixture
def flag(session: Any) -> Callable[..., backlog.FlagSaved]:
    def make(user: Any, **values: Any) -> backlog.FlagSaved:
        data = {
            "category": "carers",
            "postcode": "FY1 1AD",
            "population_group": "carers",
            "description": "No evening carers group within two buses.",
            "urgency": "medium",
        }
        data.update(values)
        return backlog.record_flag(session, data, user)

    return make


@pytest.fixture(scope="module")
def people_ids(app: Flask) -> dict[str, int]:
    """One account per part, made once per module (argon2 hashing is slow on purpose)."""
    roles = {"worker": ("link-worker", "Blackpool PCN"), "other_worker": ("link-worker", "Fylde PCN"),
             "cdw": ("community-development", ""), "admin": ("admin", "")}  # fmt: skip
    with app.app_context():
        ids = {
            name: create_user(db.session, email_address=f"backlog-{name}@example.org", role=role,
                              password=PASSWORD, team=team).id
            for name, (role, team) in roles.items()
        }  # fmt: skip
        db.session.remove()
    return ids


@pytest.fixture
def people(session: Any, people_ids: dict[str, int]) -> dict[str, Any]:
    return {name: session.get(User, user_id) for name, user_id in people_ids.items()}


# Each test uses its own category (or its own MSOA), so items from other tests in the module never join.

# --- flags and the area ---------------------------------------------------------------------------------


def test_a_flag_keeps_lsoa_msoa_and_authority_and_never_the_postcode(
    session: Any, flag: Callable[..., Any], people: dict[str, Any], app: Flask
) -> None:
    saved = flag(people["worker"], category="debt-benefits", postcode="fy1 1ad", description="Needs debt advice.")
    assert (saved.flag.lsoa_code, saved.flag.msoa_code, saved.flag.lad_code) == ("E01012671", "E02002630", "E06000009")
    assert saved.flag.team == "Blackpool PCN"
    assert not saved.joined and saved.item.status == "new"
    # Nothing the backlog writes holds the postcode, in any spelling.
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    with sqlite3.connect(database) as connection:
        for table in ("gap_flag", "backlog_item", "backlog_event", "demand_event"):
            for row in connection.execute(f"SELECT * FROM {table}"):  # noqa: S608 - fixed table names
                text = " ".join(str(cell) for cell in row).upper()
                assert "FY1 1AD" not in text and "FY11AD" not in text, (table, row)


def test_flags_of_one_need_in_one_msoa_gather_into_one_item(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    first = flag(people["worker"], category="loneliness", postcode="FY1 1AD")
    second = flag(people["other_worker"], category="loneliness", postcode="FY1 2AA", urgency="high")
    assert second.joined and second.item.id == first.item.id
    view = backlog.view(session, first.item)
    assert (view.flags, view.workers, view.urgency) == (2, 2, "high")
    assert view.lsoas == ["E01012671", "E01012672"] and view.msoas == ["E02002630"]
    assert view.teams == ["Blackpool PCN", "Fylde PCN"]


def test_another_need_or_another_msoa_opens_its_own_item(flag: Callable[..., Any], people: dict[str, Any]) -> None:
    base = flag(people["worker"], category="bereavement", postcode="FY1 1AD")
    other_need = flag(people["worker"], category="housing", postcode="FY1 1AD")
    other_msoa = flag(people["worker"], category="bereavement", postcode="FY1 3AB")
    assert len({base.item.id, other_need.item.id, other_msoa.item.id}) == 3


def test_without_an_msoa_flags_cluster_by_their_lsoa(flag: Callable[..., Any], people: dict[str, Any]) -> None:
    first = flag(people["worker"], category="drugs-alcohol", postcode="BB11 2DL")
    second = flag(people["worker"], category="drugs-alcohol", postcode="BB11 2DL")
    assert first.flag.msoa_code is None and first.item.area_code == "E01024999"
    assert second.joined and second.item.id == first.item.id


def test_a_closed_item_is_not_joined_a_new_one_opens(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    first = flag(people["worker"], category="employment-volunteering", postcode="FY1 1AD")
    backlog.transition(session, first.item.id, "declined", people["cdw"], reason="Covered by the council's scheme.")
    later = flag(people["worker"], category="employment-volunteering", postcode="FY1 1AD")
    assert not later.joined and later.item.id != first.item.id


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"postcode": "FY1"}, "postcode", "postcode district"),
        ({"postcode": "not a postcode"}, "postcode", "not a valid UK postcode"),
        ({"postcode": "SW1A 1AA"}, "postcode", "not in this directory's postcode table"),
        ({"postcode": ""}, "postcode", "not stored"),
        ({"category": "no-such-need"}, "category", "not a category"),
        ({"description": "  "}, "description", "what was needed"),
        ({"description": "x" * 501}, "description", "500 characters"),
        ({"urgency": "panic"}, "urgency", "low, medium, high"),
        ({"population_group": "martians"}, "population_group", "from the list"),
    ],
)
def test_bad_flags_are_refused_naming_the_field_and_nothing_is_written(
    flag: Callable[..., Any], people: dict[str, Any], session: Any, values: dict[str, str], field: str, words: str
) -> None:
    before = session.scalar(select(func.count()).select_from(GapFlag))
    with pytest.raises(backlog.FlagRefused) as refused:
        flag(people["worker"], **values)
    assert words in refused.value.errors[field]
    session.rollback()
    assert session.scalar(select(func.count()).select_from(GapFlag)) == before


def test_personal_data_in_a_flag_is_refused_until_the_worker_confirms(
    flag: Callable[..., Any], people: dict[str, Any]
) -> None:
    text = "Mrs Smith needs a lift, ring 07700 900123."
    with pytest.raises(backlog.FlagRefused) as refused:
        flag(people["worker"], category="specific-conditions", description=text)
    assert [f.kind for f in refused.value.findings] == ["titled-name", "phone"]
    assert "a name with a title and a phone number" in refused.value.errors["description"]
    saved = flag(people["worker"], category="specific-conditions", description=text, confirm_pii="yes")
    assert saved.flag.pii_confirmed is True


def test_a_map_point_takes_the_lsoa_of_the_nearest_postcode(session: Any, people: dict[str, Any]) -> None:
    data = {"category": "food", "latitude": "53.8255", "longitude": "-3.0545", "description": "No food bank."}
    saved = backlog.record_flag(session, data, people["worker"], point_max_km=1.0)
    assert saved.flag.lsoa_code == "E01012672"
    far = dict(data, latitude="52.0", longitude="-1.0")
    with pytest.raises(backlog.FlagRefused) as refused:
        backlog.record_flag(session, far, people["worker"], point_max_km=1.0)
    assert "within 1 km" in refused.value.errors["point"]


def test_group_editors_cannot_flag(session: Any, make_user: Callable[..., Any], make_organization: Any) -> None:
    editor = make_user("group-editor", organization_id=make_organization().id)
    with pytest.raises(NotPermitted, match="flag a gap"):
        backlog.record_flag(session, {"category": "carers", "postcode": "FY1 1AD", "description": "x"}, editor)


# --- workflow ---------------------------------------------------------------------------------------------


def test_an_item_moves_through_the_whole_workflow_and_keeps_its_history(
    flag: Callable[..., Any], people: dict[str, Any], session: Any, make_service: Callable[..., Any]
) -> None:
    item = flag(people["worker"], category="arts-crafts").item
    cdw = people["cdw"]
    backlog.transition(session, item.id, "triaged", cdw)
    backlog.transition(session, item.id, "in-progress", cdw, assignee_id=cdw.id)
    service = make_service(name="New Knit and Natter", categories=["arts-crafts"])
    backlog.transition(session, item.id, "resolved", cdw, service_id=service.id)
    assert (item.status, item.assignee_id, item.resolved_service_id) == ("resolved", cdw.id, service.id)
    kinds = [(e.kind, e.from_status, e.to_status) for e in backlog.history(session, item.id)]
    assert kinds == [
        ("created", None, "new"),
        ("flag-joined", None, None),
        ("status", "new", "triaged"),
        ("assigned", None, None),
        ("status", "triaged", "in-progress"),
        ("status", "in-progress", "resolved"),
    ]
    assert {e.actor for e in backlog.history(session, item.id)[2:]} == {cdw.email}
    # Reopening is allowed, and is itself history.
    backlog.transition(session, item.id, "triaged", cdw)
    assert backlog.history(session, item.id)[-1].to_status == "triaged"


@pytest.mark.parametrize(
    ("path", "to", "extra", "words"),
    [
        ((), "resolved", {}, "cannot move to resolved. From here it can move to: triaged, declined"),
        ((), "in-progress", {}, "cannot move to in progress"),
        (("triaged",), "in-progress", {}, "needs an assignee"),
        (("triaged",), "declined", {"reason": "   "}, "Give a reason"),
        (("triaged", "in-progress"), "resolved", {}, "Choose the service"),
        ((), "merged", {}, "use merge"),
        ((), "finished", {}, "not a status"),
    ],
)
def test_illegal_transitions_are_refused_with_a_clear_message(
    flag: Callable[..., Any],
    people: dict[str, Any],
    session: Any,
    path: tuple[str, ...],
    to: str,
    extra: dict[str, Any],
    words: str,
) -> None:
    item = flag(people["worker"], category="physical-activity", postcode="FY1 3AB").item
    cdw = people["cdw"]
    for step in path:
        backlog.transition(session, item.id, step, cdw, assignee_id=cdw.id)
    status = item.status
    with pytest.raises(backlog.BacklogRefused, match=words):
        backlog.transition(session, item.id, to, cdw, **extra)
    session.rollback()
    assert session.get(BacklogItem, item.id).status == status
    backlog.transition(session, item.id, "declined", cdw, reason="Tidy up after the test.")


def test_link_workers_cannot_move_assign_merge_or_split(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    item = flag(people["worker"], category="mental-health").item
    worker = people["worker"]
    for attempt in (
        lambda: backlog.transition(session, item.id, "triaged", worker),
        lambda: backlog.assign(session, item.id, worker, people["cdw"].id),
        lambda: backlog.merge(session, item.id, [item.id], worker),
        lambda: backlog.split(session, item.id, [], worker),
    ):
        with pytest.raises(NotPermitted, match="community-development"):
            attempt()
    assert session.get(BacklogItem, item.id).status == "new"


def test_an_item_can_only_be_assigned_to_community_development_or_admins(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    item = flag(people["worker"], category="mental-health", postcode="FY1 3AB").item
    with pytest.raises(backlog.BacklogRefused, match="community development worker or administrator"):
        backlog.assign(session, item.id, people["cdw"], people["worker"].id)
    backlog.assign(session, item.id, people["cdw"], people["admin"].id)
    assert item.assignee_id == people["admin"].id


def test_a_change_based_on_an_old_page_is_refused(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    item = flag(people["worker"], category="education-skills").item
    seen = item.version
    backlog.transition(session, item.id, "triaged", people["cdw"], expected_version=seen)
    with pytest.raises(backlog.StaleItem, match="changed by someone else"):
        backlog.transition(session, item.id, "declined", people["admin"], reason="dup", expected_version=seen)


def test_comments_are_history_and_are_checked_for_personal_data(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    item = flag(people["worker"], category="education-skills", postcode="FY1 3AB").item
    with pytest.raises(backlog.FlagRefused) as refused:
        backlog.add_comment(session, item.id, people["cdw"], "Spoke to Mr Jones about it")
    assert refused.value.findings[0].kind == "titled-name"
    backlog.add_comment(session, item.id, people["cdw"], "The library may host a group.")
    assert backlog.history(session, item.id)[-1].body == "The library may host a group."


# --- merge and split ----------------------------------------------------------------------------------------


def test_merge_moves_every_flag_and_keeps_the_merged_item(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    target = flag(people["worker"], category="lgbtq", postcode="FY1 1AD").item
    source = flag(people["other_worker"], category="lgbtq", postcode="FY1 3AB").item
    assert source.id != target.id
    backlog.merge(session, target.id, [source.id], people["cdw"])
    target, source = session.get(BacklogItem, target.id), session.get(BacklogItem, source.id)
    assert len(target.flags) == 2 and source.flags == []
    assert (source.status, source.merged_into_id) == ("merged", target.id)
    assert "merged in" in backlog.history(session, target.id)[-1].body
    assert backlog.history(session, source.id)[-1].to_status == "merged"
    # The merged item now gathers flags from both neighbourhoods.
    later = flag(people["worker"], category="lgbtq", postcode="FY1 3AB")
    assert later.item.id == target.id


def test_merging_items_of_different_needs_or_closed_items_is_refused(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    a = flag(people["worker"], category="older-people").item
    b = flag(people["worker"], category="young-people").item
    with pytest.raises(backlog.BacklogRefused, match="same need"):
        backlog.merge(session, a.id, [b.id], people["cdw"])
    with pytest.raises(backlog.BacklogRefused, match="at least one other item"):
        backlog.merge(session, a.id, [a.id], people["cdw"])
    with pytest.raises(LookupError, match="no backlog item 999999"):
        backlog.merge(session, a.id, [999999], people["cdw"])


def test_split_moves_chosen_flags_to_a_new_item(flag: Callable[..., Any], people: dict[str, Any], session: Any) -> None:
    first = flag(people["worker"], category="nature-environment")
    second = flag(people["worker"], category="nature-environment", postcode="FY1 2AA", population_group="young-people")
    item = first.item
    assert second.item.id == item.id
    with pytest.raises(backlog.BacklogRefused, match="Leave at least one flag"):
        backlog.split(session, item.id, [first.flag.id, second.flag.id], people["cdw"])
    with pytest.raises(backlog.BacklogRefused, match="belong to item"):
        backlog.split(session, item.id, [999999], people["cdw"])
    new = backlog.split(session, item.id, [second.flag.id], people["cdw"])
    assert [f.id for f in new.flags] == [second.flag.id] and new.status == "new"
    assert [f.id for f in session.get(BacklogItem, item.id).flags] == [first.flag.id]
    assert "Split from item" in backlog.history(session, new.id)[0].body
    assert "moved to new item" in backlog.history(session, item.id)[-1].body


def test_nothing_is_ever_deleted(session: Any) -> None:
    """Across this module's merges, splits and declines, every event ever written is still there, in order."""
    ids = list(session.scalars(select(BacklogEvent.id).order_by(BacklogEvent.id)))
    assert ids == list(range(ids[0], ids[0] + len(ids)))
    assert session.scalar(select(func.count()).select_from(BacklogItem).where(BacklogItem.status == "merged")) >= 1


# --- reading, export, summary -----------------------------------------------------------------------------


def test_list_filters_by_need_area_status_and_assignee_and_sorts(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    big = flag(people["worker"], category="domestic-abuse", postcode="FY1 1AD").item
    flag(people["other_worker"], category="domestic-abuse", postcode="FY1 2AA")
    small = flag(people["worker"], category="domestic-abuse", postcode="BB11 2DL").item
    by_need = backlog.list_items(session, backlog.Filters(category="domestic-abuse", status="all", sort="flags"))
    assert [v.item.id for v in by_need] == [big.id, small.id]
    burnley = backlog.list_items(session, backlog.Filters(category="domestic-abuse", area="E07000117", status="all"))
    assert [v.item.id for v in burnley] == [small.id]
    backlog.transition(session, big.id, "triaged", people["cdw"])
    backlog.assign(session, big.id, people["cdw"], people["cdw"].id)
    triaged = backlog.list_items(session, backlog.Filters(category="domestic-abuse", status="triaged"))
    assert [v.item.id for v in triaged] == [big.id]
    mine = backlog.list_items(
        session, backlog.Filters(category="domestic-abuse", status="all", assignee=str(people["cdw"].id))
    )
    assert [v.item.id for v in mine] == [big.id]
    nobody = backlog.list_items(session, backlog.Filters(category="domestic-abuse", status="all", assignee="none"))
    assert [v.item.id for v in nobody] == [small.id]


def test_filters_from_request_arguments_ignore_unknown_values() -> None:
    filters = backlog.Filters.from_args({"status": "bogus", "sort": "nonsense", "area": " e06000009 "})
    assert (filters.status, filters.sort, filters.area) == ("open", "activity", "E06000009")


def test_csv_export_neutralises_formulas(flag: Callable[..., Any], people: dict[str, Any], session: Any) -> None:
    flag(people["worker"], category="animals", description='=HYPERLINK("x")')
    flag(people["worker"], category="animals", postcode="FY1 3AB", description="@SUM(A1) +1 -1")
    views = backlog.list_items(session, backlog.Filters(category="animals", status="all"))
    rows = list(csv.reader(io.StringIO(backlog.export_csv(views))))
    assert rows[0] == list(backlog.CSV_COLUMNS)
    descriptions = [row[backlog.CSV_COLUMNS.index("descriptions")] for row in rows[1:]]
    assert sorted(descriptions) == ['\'=HYPERLINK("x")', "'@SUM(A1) +1 -1"]
    assert all(cell[:1] not in "=+-@" for row in rows[1:] for cell in row if cell)


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+1", "'=1+1"), ("+44", "'+44"), ("-3", "'-3"), ("@x", "'@x"), ("\tx", "'\tx"), ("plain", "plain"), (None, "")],
)
def test_safe_cell_prefixes_formula_starts(value: Any, cell: str) -> None:
    assert backlog.safe_cell(value) == cell


def test_nearest_provision_is_the_closest_live_service_of_the_need(
    flag: Callable[..., Any], people: dict[str, Any], session: Any, make_service: Callable[..., Any]
) -> None:
    item = flag(people["worker"], category="nature-environment", postcode="FY1 3AB").item
    near = make_service(name="Allotment Club", categories=["nature-environment"],
                        locations=[{"name": "Plot", "postcode": "FY1 3AB"}])  # fmt: skip
    make_service(name="Far Allotments", categories=["nature-environment"],
                 locations=[{"name": "Far", "postcode": "BB11 2DL"}])  # fmt: skip
    found = backlog.nearest_provision(session, item, ["E01012673"])
    assert found and found[0].service.id == near.id and found[0].distance_km < 0.5
    assert all(n.service.name != "Far Allotments" for n in found)


def test_msoa_lookup_loads_from_an_official_file_and_places_earlier_flags(
    flag: Callable[..., Any], people: dict[str, Any], session: Any, tmp_path: Path
) -> None:
    early = flag(people["worker"], category="faith-groups", postcode="BB11 2DL")
    assert early.flag.msoa_code is None
    lookup = tmp_path / "PCD_OA_LSOA_MSOA_LAD_MAY22_UK_LU.csv"
    lookup.write_text(
        "pcds,dointr,doterm,usertype,oa11cd,lsoa11cd,msoa11cd,ladcd,ladnm\n"
        "BB11 2DL,198001,,0,E00100001,E01024999,E02005150,E07000117,Burnley\n"
        "BB11 2DN,198001,,0,E00100002,E01024999,E02005150,E07000117,Burnley\n"
        "FY1 1AD,198001,,0,E00100003,E01012671,E02002630,E06000009,Blackpool\n",
        encoding="utf-8",
    )
    report = backlog.load_msoa_lookup(session, lookup)
    assert (report.rows, report.pairs, report.added, report.flags_placed) >= (3, 2, 1, 1)
    assert "LSOAs" in str(report)
    assert session.get(LsoaMsoa, "E01024999").msoa_code == "E02005150"
    assert session.get(GapFlag, early.flag.id).msoa_code == "E02005150"


def test_msoa_lookup_refuses_a_file_without_the_columns_and_changes_nothing(session: Any, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("pcds,lat,long\nFY1 1AD,53.8,-3.0\n", encoding="utf-8")
    before = session.scalar(select(func.count()).select_from(LsoaMsoa))
    with pytest.raises(ValueError, match="wrong.csv has no LSOA and MSOA columns"):
        backlog.load_msoa_lookup(session, wrong)
    assert session.scalar(select(func.count()).select_from(LsoaMsoa)) == before
