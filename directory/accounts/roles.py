"""Roles: who may do what. The one place that checks them: views use ``roles_required`` and the ``can_edit_*``
helpers, domain functions ``require_role``; ``actor_for`` says who a signed-in user writes as."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from ..core.db import DbSession
from ..core.writes import Actor, NotPermitted
from ..models import Organization, Service, User
from .users import login_manager

STAFF_ROLES = ("admin", "link-worker", "community-development")

F = TypeVar("F", bound=Callable[..., Any])


def actor_for(user: User) -> Actor:
    if user.role == "group-editor":
        return Actor(label=f"group: {user.email}", source="group", organization_id=user.organization_id)
    return Actor(label=f"staff: {user.email}", source="staff")


def can_edit_service(user: Any, service: Service) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role in STAFF_ROLES:
        return True
    return bool(user.role == "group-editor" and user.organization_id == service.organization_id)


def can_edit_organization(user: Any, organization: Organization) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role in STAFF_ROLES:
        return True
    return bool(user.role == "group-editor" and user.organization_id == organization.id)


def require_role(user: Any, roles: tuple[str, ...], doing: str) -> None:
    """For domain functions, which have no request to abort: refuse with a message naming the roles that may."""
    if not getattr(user, "is_authenticated", False) or user.role not in roles:
        raise NotPermitted(f"Only these roles may {doing}: {', '.join(roles)}.")


def roles_required(*roles: str) -> Callable[[F], F]:
    """Anonymous visitors are sent to sign in; signed-in users without the role get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


ANY_SIGNED_IN = (*STAFF_ROLES, "group-editor")


def editable_listing(session: DbSession, user: Any, kind: str, entity_id: int) -> Service | Organization:
    """The listing, if this user may see and change it: 404 when there is none, 403 when it is not theirs."""
    if kind == "service":
        service = session.get(Service, entity_id)
        if service is None:
            abort(404, f"There is no service {entity_id}.")
        if not can_edit_service(user, service):
            abort(403, "You can only see and change your own organisation's listings.")
        return service
    organization = session.get(Organization, entity_id)
    if organization is None:
        abort(404, f"There is no organisation {entity_id}.")
    if not can_edit_organization(user, organization):
        abort(403, "You can only see and change your own organisation.")
    return organization
