"""The backlog workflow: what community development workers do with an item (issue 5).

They triage, assign, resolve (linking the service that now meets the need) or decline (with a
reason), merge and split items, and comment. Every change is a ``BacklogEvent`` (``history``);
nothing is deleted.

Functions take a session and plain values (and the acting ``User``); they flush, and the view or
command that called them commits. Refusals are exceptions whose message a person can act on.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import update

from ..accounts.roles import require_role
from ..core.clock import utcnow
from ..core.db import DbSession
from ..models import Service, User
from ..models.backlog import OPEN_STATUSES, STATUSES, BacklogEvent, BacklogItem, GapFlag
from .flags import CAN_FLAG, FlagRefused, check_text, keep_override
from .history import record_event

CAN_MANAGE = ("admin", "community-development")
COMMENT_MAX = 2000

# Which status may follow which. Resolved and declined items may be reopened (to triaged);
# "merged" is terminal: the item lives on inside the one it was merged into.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("triaged", "declined"),
    "triaged": ("in-progress", "declined"),
    "in-progress": ("resolved", "declined", "triaged"),
    "resolved": ("triaged",),
    "declined": ("triaged",),
    "merged": (),
}


class BacklogRefused(ValueError):
    """An action the backlog does not allow (an illegal transition, a bad merge); the message says why."""


class StaleItem(Exception):
    """Someone else changed the item after this page was opened."""


def get_item(session: DbSession, item_id: int) -> BacklogItem:
    item = session.get(BacklogItem, item_id)
    if item is None:
        raise LookupError(f"There is no backlog item {item_id}.")
    return item


def _check_version(item: BacklogItem, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != item.version:
        raise StaleItem(
            f"Backlog item {item.id} was changed by someone else after you opened it. "
            "Nothing was saved: reload the page to see the change, then try again."
        )


def transition(
    session: DbSession,
    item_id: int,
    to_status: str,
    user: User,
    *,
    assignee_id: int | None = None,
    service_id: int | None = None,
    reason: str = "",
    expected_version: int | None = None,
    confirm_pii: bool = False,
) -> BacklogItem:
    """Move an item along new → triaged → in progress → resolved / declined; illegal moves are refused.

    A reason for declining passes the personal-data guard like a comment (``FlagRefused`` with the findings
    unless ``confirm_pii``; then it is kept masked and the override recorded)."""
    require_role(user, CAN_MANAGE, "move backlog items")
    item = get_item(session, item_id)
    _check_version(item, expected_version)
    if to_status not in STATUSES or to_status == "merged":
        raise BacklogRefused(f"{to_status!r} is not a status an item can be moved to (use merge to merge items).")
    allowed = TRANSITIONS[item.status]
    if to_status not in allowed:
        options = ", ".join(STATUSES[s].lower() for s in allowed) or "nothing (it is final)"
        raise BacklogRefused(
            f"Item {item.id} is {STATUSES[item.status].lower()}: it cannot move to "
            f"{STATUSES[to_status].lower()}. From here it can move to: {options}."
        )
    reason = " ".join((reason or "").split())
    if to_status == "in-progress":
        assignee_id = assignee_id or item.assignee_id
        if assignee_id is None:
            raise BacklogRefused("Choose who is working on it: an item in progress needs an assignee.")
        _set_assignee(session, item, user, assignee_id)
    if to_status == "resolved":
        service = session.get(Service, service_id) if service_id is not None else None
        if service is None:
            raise BacklogRefused("Choose the service that now meets this need: a resolved item links to it.")
        item.resolved_service_id = service.id
    screened = None
    if to_status == "declined":
        if not reason:
            raise BacklogRefused("Give a reason for declining: it is kept in the item's history.")
        screened = check_text(reason[:COMMENT_MAX], confirmed=confirm_pii, field_name="reason")
        if screened.errors:
            raise FlagRefused(screened.errors, screened.findings)
        reason = screened.text
        item.decline_reason = reason
    before = item.status
    item.status = to_status
    item.updated_at = utcnow()
    body = reason if to_status == "declined" else ""
    if to_status == "resolved" and item.resolved_service is not None:
        body = f"Met by service {item.resolved_service_id}: {item.resolved_service.name}"
    record_event(session, item, user, "status", from_status=before, to_status=to_status, body=body)
    session.flush()
    if screened is not None:
        keep_override(session, screened, user, field="backlog_item.decline_reason", record_id=item.id)
    return item


def _set_assignee(session: DbSession, item: BacklogItem, user: User, assignee_id: int) -> None:
    assignee = session.get(User, assignee_id)
    if assignee is None or not assignee.active or assignee.role not in CAN_MANAGE:
        raise BacklogRefused("The assignee must be an active community development worker or administrator.")
    if item.assignee_id != assignee.id:
        item.assignee_id = assignee.id
        record_event(session, item, user, "assigned", body=assignee.email)


def assign(
    session: DbSession, item_id: int, user: User, assignee_id: int, *, expected_version: int | None = None
) -> BacklogItem:
    """Give an open item to a community development worker."""
    require_role(user, CAN_MANAGE, "assign backlog items")
    item = get_item(session, item_id)
    _check_version(item, expected_version)
    if item.status not in OPEN_STATUSES:
        raise BacklogRefused(f"Item {item.id} is {STATUSES[item.status].lower()}: only open items can be assigned.")
    _set_assignee(session, item, user, assignee_id)
    item.updated_at = utcnow()
    session.flush()
    return item


def add_comment(session: DbSession, item_id: int, user: User, body: str, *, confirm_pii: bool = False) -> BacklogEvent:
    """A comment on an item, checked for personal data like a flag's description."""
    require_role(user, CAN_FLAG, "comment on backlog items")
    item = get_item(session, item_id)
    text = (body or "").strip()
    if not text:
        raise FlagRefused({"comment": "Write a comment first."})
    if len(text) > COMMENT_MAX:
        raise FlagRefused({"comment": f"Keep a comment to {COMMENT_MAX} characters (it has {len(text)})."})
    screened = check_text(text, confirmed=confirm_pii, field_name="comment")
    if screened.errors:
        raise FlagRefused(screened.errors, screened.findings)
    event = record_event(session, item, user, "comment", body=screened.text)
    session.flush()
    keep_override(session, screened, user, field="backlog_event.body", record_id=event.id)
    return event


def merge(session: DbSession, target_id: int, source_ids: Iterable[int], user: User) -> BacklogItem:
    """Move every flag of the source items into the target; the sources are kept, marked merged."""
    require_role(user, CAN_MANAGE, "merge backlog items")
    target = get_item(session, target_id)
    sources = [get_item(session, i) for i in dict.fromkeys(source_ids) if i != target_id]
    if not sources:
        raise BacklogRefused("Choose at least one other item to merge into this one.")
    if target.status not in OPEN_STATUSES:
        raise BacklogRefused(f"Item {target.id} is {STATUSES[target.status].lower()}: merge into an open item.")
    for source in sources:
        if source.category_code != target.category_code:
            raise BacklogRefused(
                f"Item {source.id} is about {source.category_code}, item {target.id} about {target.category_code}: "
                "only items of the same need can be merged."
            )
        if source.status not in OPEN_STATUSES:
            raise BacklogRefused(f"Item {source.id} is {STATUSES[source.status].lower()}: only open items merge.")
    for source in sources:
        moved = [flag.id for flag in source.flags]
        session.execute(update(GapFlag).where(GapFlag.item_id == source.id).values(item_id=target.id))
        before = source.status
        source.status = "merged"
        source.merged_into_id = target.id
        source.updated_at = utcnow()
        record_event(session, source, user, "merged", from_status=before, to_status="merged", other_item_id=target.id,
                     body=f"Merged into item {target.id} with flags {', '.join(map(str, moved))}")  # fmt: skip
        record_event(session, target, user, "merged", other_item_id=source.id,
                     body=f"Item {source.id} merged in: flags {', '.join(map(str, moved))}")  # fmt: skip
    target.updated_at = utcnow()
    session.flush()
    # The bulk update of flags above leaves the items' loaded flag lists stale.
    session.expire_all()
    return target


def split(session: DbSession, item_id: int, flag_ids: Iterable[int], user: User) -> BacklogItem:
    """Move the chosen flags out of an item into a new item (status new); both keep the history."""
    require_role(user, CAN_MANAGE, "split backlog items")
    item = get_item(session, item_id)
    chosen = set(flag_ids)
    if item.status not in OPEN_STATUSES:
        raise BacklogRefused(f"Item {item.id} is {STATUSES[item.status].lower()}: only open items can be split.")
    moving = [flag for flag in item.flags if flag.id in chosen]
    if not moving or len(chosen) != len(moving):
        raise BacklogRefused(f"Choose flags that belong to item {item.id} to move to the new item.")
    if len(moving) == len(item.flags):
        raise BacklogRefused("Leave at least one flag in this item: splitting every flag out would empty it.")
    new = BacklogItem(category_code=item.category_code, area_code=moving[0].area_code, status="new")
    session.add(new)
    session.flush()
    for flag in moving:
        flag.item_id = new.id
    listed = ", ".join(str(flag.id) for flag in moving)
    record_event(session, new, user, "created", to_status="new", other_item_id=item.id,
                 body=f"Split from item {item.id} with flags {listed}")  # fmt: skip
    record_event(session, item, user, "split", other_item_id=new.id, body=f"Flags {listed} moved to new item {new.id}")
    item.updated_at = utcnow()
    session.flush()
    # The moved flags are still in the old item's loaded flag list.
    session.expire_all()
    return new
