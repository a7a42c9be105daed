"""The demo has staff work in flight on every staff screen: backlog items in every state (some clustered),
unmet need, follow-ups of every reason, held group changes, listing requests and claims, imports with a failure
and the job log; all invented and labelled demo."""

from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import func, select

from directory.core.db import db
from directory.demo.build import DemoReport
from directory.models import (
    BacklogItem,
    DemandEvent,
    FollowUp,
    GapFlag,
    ImportRun,
    ImportSource,
    JobRun,
    ListingClaim,
    ListingRequest,
    MergeCandidate,
    PendingChange,
    User,
)
from directory.models.backlog import STATUSES
from directory.models.verification import FOLLOW_UP_REASONS
from tests.conftest import sign_in

#: Staff pages that are forms to fill in, not lists: they have no items to show.
FORMS = {
    "/staff/services/new",
    "/staff/organisations/new",
    "/flags/new",
    "/admin/imports/spreadsheet",
    "/basket/",
    "/gaps/score",
}  # forms, and the page that explains the gap score (text, not items)


def test_the_backlog_has_every_workflow_state_and_clustered_flags(packaged_demo: tuple[Flask, DemoReport]) -> None:
    app, _report = packaged_demo
    with app.app_context():
        items = db.session.scalars(select(BacklogItem)).all()
        assert {item.status for item in items} == set(STATUSES)
        clustered = [item for item in items if len(item.flags) >= 3]
        assert len(clustered) >= 2
        assert all(len({flag.flagged_by_id for flag in item.flags}) >= 2 for item in clustered)
        assert all(len({flag.lsoa_code for flag in item.flags}) <= 2 for item in clustered)
        flaggers = db.session.scalars(select(User.email).join(GapFlag, GapFlag.flagged_by_id == User.id)).all()
        assert all(email.endswith("@demo.invalid") for email in flaggers)
        kinds = dict(db.session.execute(select(DemandEvent.kind, func.count()).group_by(DemandEvent.kind)).all())
        assert kinds.get("unmet-need", 0) >= 10 and kinds.get("signposting", 0) >= 10
        db.session.remove()


def test_every_queue_and_log_has_demo_content(packaged_demo: tuple[Flask, DemoReport]) -> None:
    app, _report = packaged_demo
    with app.app_context():
        session = db.session
        open_reasons = session.scalars(select(FollowUp.reason).where(FollowUp.resolved_at.is_(None))).all()
        assert set(FOLLOW_UP_REASONS) <= set(open_reasons)
        assert session.scalar(select(func.count()).where(PendingChange.status == "pending")) >= 2
        assert session.scalar(select(func.count()).where(ListingRequest.status == "waiting")) >= 2
        assert session.scalar(select(func.count()).where(ListingClaim.status == "pending")) >= 1
        assert session.scalar(select(func.count()).where(MergeCandidate.state == "open")) >= 1
        statuses = session.scalars(select(ImportRun.status)).all()
        assert "failed" in statuses and "succeeded" in statuses
        assert all("(demo)" in name for name in session.scalars(select(ImportSource.name)))
        outcomes = set(session.scalars(select(JobRun.outcome)))
        assert {"ok", "failed", "skipped"} <= outcomes
        db.session.remove()


def staff_pages(app: Flask) -> list[str]:
    """Every page without parameters that an anonymous visitor is sent to sign in for (from the URL map)."""
    client = app.test_client()
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or ()) and not rule.arguments and rule.rule not in FORMS:
            response = client.get(rule.rule)
            if response.status_code == 302 and "/login" in response.headers["Location"]:
                pages.append(rule.rule)
    return sorted(pages)


def items_on(page: BeautifulSoup) -> int:
    main = page.find("main") or page
    return len(main.select("tbody tr")) + len(main.select(".card"))


def test_every_staff_page_shows_at_least_one_item(packaged_demo: tuple[Flask, DemoReport]) -> None:
    app, report = packaged_demo
    pages = staff_pages(app)
    assert {"/staff/follow-ups", "/staff/group-changes", "/staff/listing-claims", "/staff/listing-requests",
            "/backlog/", "/backlog/list", "/admin/imports/", "/admin/jobs", "/gaps/map"} <= set(pages)  # fmt: skip
    client = app.test_client()
    sign_in(client, "admin@demo.invalid", report.accounts["admin@demo.invalid"])
    empty = []
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        page = BeautifulSoup(response.data, "html.parser")
        if path == "/gaps/map":  # the map's items are its areas, in the page's data
            scripts = "\n".join(s.get_text() for s in page.find_all("script") if not s.get("src"))
            match = re.search(r"var gap_data_\w+ = (\{.*?\});\n", scripts)
            features = json.loads(match.group(1))["areas"]["features"] if match else []
            count = sum(1 for f in features if f["properties"].get("d") is not None)
        else:
            count = items_on(page)
        if count < 1:
            empty.append(path)
    assert empty == [], f"staff pages with nothing on them in the demo: {empty}"


@pytest.mark.parametrize("path", ["/staff/follow-ups", "/backlog/list", "/admin/jobs", "/admin/imports/"])
def test_the_demo_banner_labels_the_staff_screens(packaged_demo: tuple[Flask, DemoReport], path: str) -> None:
    app, report = packaged_demo
    client = app.test_client()
    sign_in(client, "admin@demo.invalid", report.accounts["admin@demo.invalid"])
    banner = BeautifulSoup(client.get(path).data, "html.parser").find("p", class_="demo-banner")
    assert banner is not None and banner.get_text(strip=True) == app.config["DEMO_LABEL"]
