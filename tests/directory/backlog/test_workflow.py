"""The backlog workflow (directory/backlog/workflow.py, with history.py): moves, assignment, comments, merge and
split, and the history none of it deletes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from directory.backlog import flags, workflow
from directory.backlog.history import history
from directory.core.writes import NotPermitted
from directory.models.backlog import BacklogEvent, BacklogItem


def test_an_item_moves_through_the_whole_workflow_and_keeps_its_history(
    flag: Callable[..., Any], people: dict[str, Any], session: Any, make_service: Callable[..., Any]
) -> None:
    item = flag(people["worker"], category="arts-crafts").item
    cdw = people["cdw"]
    workflow.transition(session, item.id, "triaged", cdw)
    session.commit()
    workflow.transition(session, item.id, "in-progress", cdw, assignee_id=cdw.id)
    session.commit()
    service = make_service(name="New Knit and Natter", categories=["arts-crafts"])
    workflow.transition(session, item.id, "resolved", cdw, service_id=service.id)
    session.commit()
    assert (item.status, item.assignee_id, item.resolved_service_id) == ("resolved", cdw.id, service.id)
    kinds = [(e.kind, e.from_status, e.to_status) for e in history(session, item.id)]
    assert kinds == [
        ("created", None, "new"),
        ("flag-joined", None, None),
        ("status", "new", "triaged"),
        ("assigned", None, None),
        ("status", "triaged", "in-progress"),
        ("status", "in-progress", "resolved"),
    ]
    assert {e.actor for e in history(session, item.id)[2:]} == {cdw.email}
    # Reopening is allowed, and is itself history.
    workflow.transition(session, item.id, "triaged", cdw)
    session.commit()
    assert history(session, item.id)[-1].to_status == "triaged"


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
        workflow.transition(session, item.id, step, cdw, assignee_id=cdw.id)
        session.commit()
    status = item.status
    with pytest.raises(workflow.BacklogRefused, match=words):
        workflow.transition(session, item.id, to, cdw, **extra)
    session.rollback()
    assert session.get(BacklogItem, item.id).status == status
    workflow.transition(session, item.id, "declined", cdw, reason="Tidy up after the test.")
    session.commit()


def test_link_workers_cannot_move_assign_merge_or_split(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    item = flag(people["worker"], category="mental-health").item
    worker = people["worker"]
    for attempt in (
        lambda: workflow.transition(session, item.id, "triaged", worker),
        lambda: workflow.assign(session, item.id, worker, people["cdw"].id),
        lambda: workflow.merge(session, item.id, [item.id], worker),
        lambda: workflow.split(session, item.id, [], worker),
    ):
        with pytest.raises(NotPermitted, match="community-development"):
            attempt()
    assert session.get(BacklogItem, item.id).status == "new"


def test_an_item_can_only_be_assigned_to_community_development_or_admins(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    item = flag(people["worker"], category="mental-health", postcode="FY1 3AB").item
    with pytest.raises(workflow.BacklogRefused, match="community development worker or administrator"):
        workflow.assign(session, item.id, people["cdw"], people["worker"].id)
    workflow.assign(session, item.id, people["cdw"], people["admin"].id)
    session.commit()
    assert item.assignee_id == people["admin"].id


def test_a_change_based_on_an_old_page_is_refused(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    item = flag(people["worker"], category="education-skills").item
    seen = item.version
    workflow.transition(session, item.id, "triaged", people["cdw"], expected_version=seen)
    session.commit()
    with pytest.raises(workflow.StaleItem, match="changed by someone else"):
        workflow.transition(session, item.id, "declined", people["admin"], reason="dup", expected_version=seen)


def test_comments_are_history_and_are_checked_for_personal_data(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    item = flag(people["worker"], category="education-skills", postcode="FY1 3AB").item
    with pytest.raises(flags.FlagRefused) as refused:
        workflow.add_comment(session, item.id, people["cdw"], "Spoke to Mr Jones about it")
    assert refused.value.findings[0].kind == "name"
    workflow.add_comment(session, item.id, people["cdw"], "The library may host a group.")
    session.commit()
    assert history(session, item.id)[-1].body == "The library may host a group."


# --- merge and split ----------------------------------------------------------------------------------------


def test_merge_moves_every_flag_and_keeps_the_merged_item(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    target = flag(people["worker"], category="lgbtq", postcode="FY1 1AD").item
    source = flag(people["other_worker"], category="lgbtq", postcode="FY1 3AB").item
    assert source.id != target.id
    workflow.merge(session, target.id, [source.id], people["cdw"])
    session.commit()
    target, source = session.get(BacklogItem, target.id), session.get(BacklogItem, source.id)
    assert len(target.flags) == 2 and source.flags == []
    assert (source.status, source.merged_into_id) == ("merged", target.id)
    assert "merged in" in history(session, target.id)[-1].body
    assert history(session, source.id)[-1].to_status == "merged"
    # The merged item now gathers flags from both neighbourhoods.
    later = flag(people["worker"], category="lgbtq", postcode="FY1 3AB")
    assert later.item.id == target.id


def test_merging_items_of_different_needs_or_closed_items_is_refused(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    a = flag(people["worker"], category="older-people").item
    b = flag(people["worker"], category="young-people").item
    with pytest.raises(workflow.BacklogRefused, match="same need"):
        workflow.merge(session, a.id, [b.id], people["cdw"])
    with pytest.raises(workflow.BacklogRefused, match="at least one other item"):
        workflow.merge(session, a.id, [a.id], people["cdw"])
    with pytest.raises(LookupError, match="no backlog item 999999"):
        workflow.merge(session, a.id, [999999], people["cdw"])


def test_split_moves_chosen_flags_to_a_new_item(flag: Callable[..., Any], people: dict[str, Any], session: Any) -> None:
    first = flag(people["worker"], category="nature-environment")
    second = flag(people["worker"], category="nature-environment", postcode="FY1 2AA", population_group="young-people")
    item = first.item
    assert second.item.id == item.id
    with pytest.raises(workflow.BacklogRefused, match="Leave at least one flag"):
        workflow.split(session, item.id, [first.flag.id, second.flag.id], people["cdw"])
    with pytest.raises(workflow.BacklogRefused, match="belong to item"):
        workflow.split(session, item.id, [999999], people["cdw"])
    new = workflow.split(session, item.id, [second.flag.id], people["cdw"])
    session.commit()
    assert [f.id for f in new.flags] == [second.flag.id] and new.status == "new"
    assert [f.id for f in session.get(BacklogItem, item.id).flags] == [first.flag.id]
    assert "Split from item" in history(session, new.id)[0].body
    assert "moved to new item" in history(session, item.id)[-1].body


def test_merge_and_split_return_their_result_before_the_caller_commits(
    flag: Callable[..., Any], people: dict[str, Any], session: Any
) -> None:
    target = flag(people["worker"], category="parenting-families", postcode="FY1 1AD").item
    source = flag(people["other_worker"], category="parenting-families", postcode="FY1 3AB").item
    assert (len(target.flags), len(source.flags)) == (1, 1)  # loaded now, so a stale list would show below
    merged = workflow.merge(session, target.id, [source.id], people["cdw"])
    assert len(merged.flags) == 2 and session.get(BacklogItem, source.id).flags == []
    moving = merged.flags[-1].id
    new = workflow.split(session, merged.id, [moving], people["cdw"])
    assert [f.id for f in new.flags] == [moving] and len(session.get(BacklogItem, merged.id).flags) == 1
    session.commit()


def test_nothing_is_ever_deleted(session: Any) -> None:
    """Across this module's merges, splits and declines, every event ever written is still there, in order."""
    ids = list(session.scalars(select(BacklogEvent.id).order_by(BacklogEvent.id)))
    assert ids == list(range(ids[0], ids[0] + len(ids)))
    assert session.scalar(select(func.count()).select_from(BacklogItem).where(BacklogItem.status == "merged")) >= 1
