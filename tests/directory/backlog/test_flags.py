"""Gap flags (directory/backlog/flags.py, with areas.py): the area a flag keeps, clustering, refusals."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from directory.backlog import flags, queries, workflow
from directory.core.personal_data import PersonalDataOverride
from directory.core.writes import NotPermitted
from directory.models.backlog import GapFlag

pytestmark = pytest.mark.usefixtures("postcodes_and_msoas")


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
    view = queries.view(session, first.item)
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
    workflow.transition(session, first.item.id, "declined", people["cdw"], reason="Covered by the council's scheme.")
    session.commit()
    later = flag(people["worker"], category="employment-volunteering", postcode="FY1 1AD")
    assert not later.joined and later.item.id != first.item.id


def test_a_district_is_taken_for_the_whole_district_and_kept_out_of_one_neighbourhoods_counts(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    """What search accepts, a flag accepts (issue 22): "FY1" is recorded as a flag for the district, joined to
    the backlog by the neighbourhood at its middle, and not counted as that neighbourhood's own flag."""
    from directory.gaps.demand import gap_flag_counts

    saved = flag(people["worker"], category="physical-activity", postcode=" fy1 ")
    assert (saved.flag.district, saved.flag.lsoa_code, saved.flag.msoa_code, saved.flag.lad_code) == (
        "FY1", "E01012671", "E02002630", "E06000009")  # fmt: skip
    near = flag(people["worker"], category="physical-activity", postcode="FY1 2AA")
    assert near.joined and near.item.id == saved.item.id and near.flag.district is None
    assert gap_flag_counts(session, "physical-activity") == {"E01012672": 1}


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"postcode": "SW1A"}, "postcode", "No postcodes starting SW1A"),
        ({"postcode": "not a postcode"}, "postcode", "not a valid UK postcode"),
        ({"postcode": "SW1A 1AA"}, "postcode", "not in our list of postcodes"),
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
    with pytest.raises(flags.FlagRefused) as refused:
        flag(people["worker"], **values)
    assert words in refused.value.errors[field]
    session.rollback()
    assert session.scalar(select(func.count()).select_from(GapFlag)) == before


def test_personal_data_in_a_flag_is_refused_until_the_worker_confirms(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    text = "Mrs Smith needs a lift, ring 07700 900123."
    with pytest.raises(flags.FlagRefused) as refused:
        flag(people["worker"], category="specific-conditions", description=text)
    assert [f.kind for f in refused.value.findings] == ["name", "phone"]
    assert "a person's name and a phone number" in refused.value.errors["description"]
    saved = flag(people["worker"], category="specific-conditions", description=text, confirm_pii="yes")
    assert saved.flag.pii_confirmed is True
    # Saved anyway: stored masked, and the override kept with who and which kinds (not the text found).
    assert saved.flag.description == "[name] needs a lift, ring [phone]."
    override = session.scalars(
        select(PersonalDataOverride).where(PersonalDataOverride.field == "gap_flag.description",
                                           PersonalDataOverride.record_id == saved.flag.id)
    ).one()  # fmt: skip
    assert (override.kinds, override.user_id, override.by) == ("name,phone", people["worker"].id,
                                                               people["worker"].email)  # fmt: skip


def test_a_map_point_takes_the_lsoa_of_the_nearest_postcode(session: Any, people: dict[str, Any]) -> None:
    data = {"category": "food", "latitude": "53.8255", "longitude": "-3.0545", "description": "No food bank."}
    saved = flags.record_flag(session, data, people["worker"], point_max_km=1.0)
    session.commit()
    assert saved.flag.lsoa_code == "E01012672"
    far = dict(data, latitude="52.0", longitude="-1.0")
    with pytest.raises(flags.FlagRefused) as refused:
        flags.record_flag(session, far, people["worker"], point_max_km=1.0)
    assert "within 1 km" in refused.value.errors["point"]


def test_a_flag_is_saved_only_when_the_caller_commits(people: dict[str, Any], session: Any) -> None:
    before = session.scalar(select(func.count()).select_from(GapFlag))
    data = {"category": "parenting-families", "postcode": "FY1 1AD", "description": "No toddler group."}
    saved = flags.record_flag(session, data, people["worker"])
    assert saved.flag.id is not None and saved.item.id is not None
    session.rollback()
    assert session.scalar(select(func.count()).select_from(GapFlag)) == before


def test_group_editors_cannot_flag(session: Any, make_user: Callable[..., Any], make_organization: Any) -> None:
    editor = make_user("group-editor", organization_id=make_organization().id)
    with pytest.raises(NotPermitted, match="flag a gap"):
        flags.record_flag(session, {"category": "carers", "postcode": "FY1 1AD", "description": "x"}, editor)
