"""The one write path: validation, revisions, optimistic locking, archive and restore."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory.core.db import db
from directory.core.validation import ValidationFailed
from directory.core.writes import Actor, NotPermitted, StaleEdit
from directory.listings import operations
from directory.models import Revision, Service
from tests.conftest import STAFF

pytestmark = pytest.mark.both_backends


def revision_count(session: Session, service_id: int) -> int:
    return (
        session.scalar(select(func.count()).where(Revision.entity_type == "service", Revision.entity_id == service_id))
        or 0
    )


def test_create_records_a_revision_with_who_and_source(make_service: Any, session: Session) -> None:
    service = make_service(name="Knit and natter", categories=["arts-crafts", "loneliness"])
    [revision] = operations.history(session, "service", service.id)
    assert revision.action == "create"
    assert revision.actor == STAFF.label and revision.source == "staff"
    assert revision.before is None
    assert revision.after["name"] == "Knit and natter"
    assert revision.after["categories"] == ["arts-crafts", "loneliness"]
    assert service.version == 1


def test_update_keeps_before_and_after_and_moves_the_version(make_service: Any, session: Session) -> None:
    service = make_service(name="Walking group", capacity="accepting")
    operations.update(
        session, "service", service.id, {"capacity": "waiting-list", "name": "Health walks"},
        expected_version=1, actor=STAFF,
    )  # fmt: skip
    latest = operations.history(session, "service", service.id)[0]
    assert latest.before["capacity"] == "accepting" and latest.after["capacity"] == "waiting-list"
    assert latest.changed_fields == ["capacity", "name"]
    assert session.get(Service, service.id).version == 2


def test_changing_only_related_rows_still_moves_the_version(make_service: Any, session: Session) -> None:
    service = make_service()
    operations.update(
        session, "service", service.id,
        {"schedules": [{"byday": "TU", "opens_at": "10:00", "closes_at": "12:00"}]},
        expected_version=1, actor=STAFF,
    )  # fmt: skip
    assert session.get(Service, service.id).version == 2
    assert revision_count(session, service.id) == 2


def test_a_stale_save_is_refused_and_changes_nothing(make_service: Any, session: Session) -> None:
    service = make_service(name="Men's shed")
    operations.update(session, "service", service.id, {"name": "Men's Shed Burnley"}, expected_version=1, actor=STAFF)
    with pytest.raises(StaleEdit, match="changed by someone else"):
        operations.update(session, "service", service.id, {"name": "Overwritten"}, expected_version=1, actor=STAFF)
    session.expire_all()
    assert session.get(Service, service.id).name == "Men's Shed Burnley"
    assert revision_count(session, service.id) == 2


def test_two_sessions_saving_the_same_version_the_second_is_refused(app: Any, make_service: Any) -> None:
    service_id = make_service(name="Carers' coffee morning").id
    with app.app_context():
        first, second = Session(db.engine), Session(db.engine)
        # Both editors load version 1 before either saves.
        assert first.get(Service, service_id).version == 1
        assert second.get(Service, service_id).version == 1
        operations.update(first, "service", service_id, {"name": "First"}, expected_version=1, actor=STAFF)
        first.commit()  # the first editor's save lands
        with pytest.raises(StaleEdit):
            operations.update(second, "service", service_id, {"name": "Second"}, expected_version=1, actor=STAFF)
        first.close(), second.close()
        check = Session(db.engine)
        assert check.get(Service, service_id).name == "First"
        check.close()


def test_racing_flush_is_caught_by_the_version_column(app: Any, make_service: Any) -> None:
    """Even if both editors pass the version check, the database refuses the second write."""
    service_id = make_service().id
    with app.app_context():
        first, second = Session(db.engine), Session(db.engine)
        a, b = first.get(Service, service_id), second.get(Service, service_id)
        a.name = "A"
        first.commit()
        b.name = "B"
        from sqlalchemy.orm.exc import StaleDataError

        with pytest.raises(StaleDataError):
            second.flush()
        second.rollback()
        first.close(), second.close()


def test_bad_input_names_each_problem_and_writes_nothing(make_service: Any, session: Session) -> None:
    service = make_service(name="Food pantry")
    with pytest.raises(ValidationFailed) as caught:
        operations.update(
            session, "service", service.id,
            {"email": "not an email", "minimum_age": "200", "capacity": "full", "colour": "red"},
            expected_version=1, actor=STAFF,
        )  # fmt: skip
    errors = caught.value.errors
    assert set(errors) == {"email", "minimum_age", "capacity", "colour"}
    assert "not an email" in errors["email"]
    session.rollback()
    assert session.get(Service, service.id).version == 1
    assert revision_count(session, service.id) == 1


def test_unknown_category_and_reversed_ages_are_refused(make_organization: Any, session: Session) -> None:
    org = make_organization()
    with pytest.raises(ValidationFailed) as caught:
        operations.create(
            session, "service",
            {"organization_id": org.id, "name": "X", "categories": ["astrology"], "minimum_age": 60, "maximum_age": 18},
            STAFF,
        )  # fmt: skip
    assert "astrology" in caught.value.errors["categories"]
    assert "maximum_age" in caught.value.errors


def test_restore_revision_brings_back_fields_and_related_rows(make_service: Any, session: Session) -> None:
    service = make_service(
        name="Bereavement cafe",
        schedules=[{"byday": "WE", "opens_at": "13:00", "closes_at": "15:00"}],
        contacts=[{"name": "Ann", "phone": "01253 477477"}],
        categories=["bereavement"],
    )
    first_revision = operations.history(session, "service", service.id)[0]
    operations.update(
        session, "service", service.id,
        {"name": "Grief cafe", "schedules": [], "contacts": [], "categories": ["mental-health"]},
        expected_version=1, actor=STAFF,
    )  # fmt: skip
    operations.restore_revision(session, first_revision.id, expected_version=2, actor=STAFF)
    restored = session.get(Service, service.id)
    assert restored.name == "Bereavement cafe"
    assert [(s.byday, s.opens_at.strftime("%H:%M")) for s in restored.schedules] == [("WE", "13:00")]
    assert [c.name for c in restored.contacts] == ["Ann"]
    assert [t.code for t in restored.categories] == ["bereavement"]
    latest = operations.history(session, "service", service.id)[0]
    assert latest.action == f"restore of revision {first_revision.id}" and restored.version == 3


def test_archive_hides_and_unarchive_restores_the_previous_status(make_service: Any, session: Session) -> None:
    service = make_service(status="paused")
    operations.archive(session, "service", service.id, expected_version=1, actor=STAFF)
    assert session.get(Service, service.id).status == "archived"
    operations.unarchive(session, "service", service.id, expected_version=2, actor=STAFF)
    assert session.get(Service, service.id).status == "paused"
    assert [r.action for r in operations.history(session, "service", service.id)] == ["unarchive", "archive", "create"]


def test_archiving_an_organisation_archives_its_services(
    make_organization: Any, make_service: Any, session: Session
) -> None:
    org = make_organization()
    services = [make_service(organization_id=org.id) for _ in range(2)]
    operations.archive(session, "organization", org.id, expected_version=1, actor=STAFF)
    assert all(session.get(Service, s.id).status == "archived" for s in services)
    assert session.get(type(org), org.id).archived is True


def test_group_editor_cannot_touch_another_organisation(
    make_service: Any, make_organization: Any, session: Session
) -> None:
    mine, theirs = make_organization(), make_organization()
    service = make_service(organization_id=theirs.id)
    editor = Actor(label="group: a@example.org", source="group", organization_id=mine.id)
    with pytest.raises(NotPermitted):
        operations.update(session, "service", service.id, {"name": "Hijacked"}, expected_version=1, actor=editor)
    own = make_service(organization_id=mine.id)
    with pytest.raises(NotPermitted):
        operations.update(session, "service", own.id, {"organization_id": theirs.id}, expected_version=1, actor=editor)
    with pytest.raises(NotPermitted, match="internal_notes"):
        operations.update(session, "service", own.id, {"internal_notes": "x"}, expected_version=1, actor=editor)
    operations.update(session, "service", own.id, {"capacity": "waiting-list"}, expected_version=1, actor=editor)
    assert session.get(Service, own.id).capacity == "waiting-list"


def test_a_group_editor_cannot_archive_its_organisation(make_organization: Any, session: Session) -> None:
    """Archiving is staff's decision (a group that stops says so, and staff resolve it), even with no services."""
    mine = make_organization()
    editor = Actor(label="group: a@example.org", source="group", organization_id=mine.id)
    with pytest.raises(NotPermitted, match="archived"):
        operations.archive(session, "organization", mine.id, expected_version=1, actor=editor)
    session.rollback()
    assert session.get(type(mine), mine.id).archived is False


def test_waiting_times_are_kept_as_history_newest_first(make_service: Any, session: Session) -> None:
    service = make_service()
    operations.report_waiting_time(session, service.id, 6, source="link-worker", actor=STAFF)
    operations.report_waiting_time(session, service.id, "3", source="group", actor=STAFF)
    session.expire_all()
    reloaded = session.get(Service, service.id)
    assert [r.weeks for r in reloaded.waiting_times] == [3, 6]
    assert reloaded.latest_wait.weeks == 3
    with pytest.raises(ValidationFailed, match="weeks"):
        operations.report_waiting_time(session, service.id, "soon", source="group", actor=STAFF)


def test_hostile_text_is_stored_exactly_as_given(make_service: Any, session: Session) -> None:
    hostile = "<script>alert('x')</script> =SUM(A1) \u202e Zalgo\u0301 " + "ä" * 50
    service = make_service(name=hostile[:255], description=hostile)
    session.expire_all()
    assert session.get(Service, service.id).description == hostile
