"""Read-side queries for listing pages (full search arrives with the search module)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from ..core.db import DbSession
from ..models import Organization, Service, TaxonomyTerm

PAGE_SIZE = 50


@dataclass
class Page:
    items: list[Service]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def _browse(
    text: str = "",
    category: str = "",
    organization_id: int | None = None,
    include_archived: bool = False,
) -> Select[tuple[Service]]:
    query = select(Service).join(Service.organization)
    if not include_archived:
        query = query.where(Service.status != "archived", Organization.archived.is_(False))
    if organization_id is not None:
        query = query.where(Service.organization_id == organization_id)
    if category:
        query = query.where(Service.categories.any(TaxonomyTerm.code == category))
    for word in text.split()[:8]:
        # Plain substring filter for browsing; escaped so % and _ mean themselves.
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                Service.name.ilike(pattern, escape="\\"),
                Service.description.ilike(pattern, escape="\\"),
                Organization.name.ilike(pattern, escape="\\"),
            )
        )
    return query


def browse(
    session: DbSession,
    *,
    text: str = "",
    category: str = "",
    organization_id: int | None = None,
    include_archived: bool = False,
    page: int = 1,
) -> Page:
    query = _browse(text, category, organization_id, include_archived)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
    items = session.scalars(
        query.options(
            selectinload(Service.organization),
            selectinload(Service.categories),
            selectinload(Service.waiting_times),
            selectinload(Service.locations),
        )
        .order_by(Service.name, Service.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return Page(list(items), total, page)  # type: ignore[arg-type]


def categories(session: DbSession, *, active_only: bool = True) -> list[TaxonomyTerm]:
    query = select(TaxonomyTerm).order_by(TaxonomyTerm.name)
    if active_only:
        query = query.where(TaxonomyTerm.active.is_(True))
    return list(session.scalars(query))


def organizations(session: DbSession, *, include_archived: bool = False) -> list[Organization]:
    query = select(Organization).order_by(Organization.name)
    if not include_archived:
        query = query.where(Organization.archived.is_(False))
    return list(session.scalars(query))
