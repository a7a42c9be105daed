"""The admin pages for imports: sources, the spreadsheet mapping step, run reports, duplicates."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from directory.cli import cli
from directory.imports.running import run_source
from directory.imports.sources import ensure_source
from directory.models import Service
from directory.models.imports import ImportSource, MergeCandidate
from tests.conftest import csrf_token, html

CSV = (
    "Group name,Run by,Post code,Day,Start,End\n"
    "Pottery <script>alert(1)</script>,Clay Collective,FY1 1PX,Thursday,13:00,15:00\n"
    ",No name,FY1 1PX,,,\n"
)


@pytest.mark.parametrize("role", ["link-worker", "community-development", "group-editor"])
@pytest.mark.parametrize("path", ["/admin/imports/", "/admin/imports/spreadsheet", "/admin/imports/merges"])
def test_only_admins_reach_the_import_pages(
    signed_in: Callable[..., FlaskClient], make_organization: Callable[..., Any], role: str, path: str
) -> None:
    extra = {"organization_id": make_organization().id} if role == "group-editor" else {}
    client = signed_in(role, **extra)
    assert client.get(path).status_code == 403


def source_row(client: FlaskClient, name: str) -> Any:
    """The row of the sources table naming ``name``."""
    page = html(client.get("/admin/imports/"))
    return next(row for row in page.find_all("tr") if row.find("td") and name in row.find("td").get_text())


def run_the_scrapers_job(app: Flask) -> str:
    """What the scheduler process does: `asset-directory jobs once scrapers` runs the queued sources."""
    result = app.test_cli_runner().invoke(cli, ["jobs", "once", "scrapers"])
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_a_spreadsheet_is_uploaded_its_columns_confirmed_queued_and_reported(
    signed_in: Callable[..., FlaskClient], session: Any, app: Flask
) -> None:
    client = signed_in("admin")
    token = csrf_token(client, "/admin/imports/spreadsheet")
    upload = client.post(
        "/admin/imports/spreadsheet",
        data={"csrf_token": token, "file": (io.BytesIO(CSV.encode()), "groups.csv")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200
    page = html(upload)
    selects = {s["id"]: s.find("option", selected=True) for s in page.find_all("select")}
    assert selects["map-0"]["value"] == "name" and selects["map-2"]["value"] == "postcode"
    form = {
        i["name"]: i["value"] for i in page.find_all("input") if i.get("type") == "hidden" and i["name"] != "header"
    }
    data: dict[str, Any] = {
        **form,
        "header": [h["value"] for h in page.find_all("input", {"name": "header"})],
        "name": "Pottery list",
    }
    for i, _ in enumerate(data["header"]):
        option = selects[f"map-{i}"]
        data[f"map-{i}"] = option["value"] if option else ""
    confirmed = client.post("/admin/imports/spreadsheet/confirm", data=data)
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/admin/imports/")
    # The web request only queued it: nothing is imported until the scheduler process runs it.
    row = source_row(client, "Pottery list")
    assert "Queued" in row.get_text(" ") and "waiting for the scheduler" in row.get_text(" ")
    assert row.find("button") is None
    assert session.scalars(select(Service).where(Service.name.like("Pottery%"))).first() is None
    # The same form sent again does not queue a second import, and keeps the file the first one will read.
    twice = client.post("/admin/imports/spreadsheet/confirm", data=data, follow_redirects=True)
    assert "Pottery list is already queued or running: it was not queued again." in html(twice).get_text(" ")
    assert "sources 1, succeeded 1" in run_the_scrapers_job(app)
    link = source_row(client, "Pottery list").find("a")
    assert link.get_text().endswith(": succeeded")
    report = client.get(link["href"])
    text = html(report).get_text(" ")
    assert "row 3" in text and "the service name is empty" in text
    assert b"<script>alert(1)</script>" not in report.data
    session.expire_all()
    assert session.scalars(select(Service).where(Service.name.like("Pottery%"))).first() is not None
    assert "Idle" in source_row(client, "Pottery list").get_text(" ")


def test_a_malformed_upload_is_named_and_changes_nothing(signed_in: Callable[..., FlaskClient]) -> None:
    client = signed_in("admin")
    token = csrf_token(client, "/admin/imports/spreadsheet")
    response = client.post(
        "/admin/imports/spreadsheet",
        data={"csrf_token": token, "file": (io.BytesIO(b"\x00\x01\x02"), "broken.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "broken.csv: this is not a CSV file" in html(response).get_text(" ")


def test_a_very_wide_upload_is_refused_small_and_stored_nowhere(
    signed_in: Callable[..., FlaskClient], app: Flask
) -> None:
    from directory.imports.queue import uploads_folder

    client = signed_in("admin")
    token = csrf_token(client, "/admin/imports/spreadsheet")
    before = set(uploads_folder(app.instance_path).glob("*.bin"))
    wide = (",".join(f"column {n}" for n in range(20_000)) + "\n" + ",".join("x" * 20_000) + "\n").encode()
    response = client.post(
        "/admin/imports/spreadsheet",
        data={"csrf_token": token, "file": (io.BytesIO(wide), "wide.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and len(response.data) < 100_000  # before: a 23.7 MB mapping page
    assert "wide.csv: row 1 has 20,000 columns" in html(response).get_text(" ")
    assert set(uploads_folder(app.instance_path).glob("*.bin")) == before


def test_uploads_never_confirmed_are_removed_after_a_day_and_queued_ones_kept(
    signed_in: Callable[..., FlaskClient], session: Any, app: Flask
) -> None:
    import os
    import time

    from directory.imports.queue import discard_abandoned_uploads, queue_source, uploads_folder

    folder = uploads_folder(app.instance_path)
    abandoned, waiting, fresh = (folder / f"{n * 32}.bin" for n in "abc")
    for path in (abandoned, waiting, fresh):
        path.write_bytes(b"Name\nKnit\n")
    two_days_ago = time.time() - 2 * 24 * 3600
    for path in (abandoned, waiting):
        os.utime(path, (two_days_ago, two_days_ago))
    source = ensure_source(session, name="Waiting upload", kind="spreadsheet", options={"mapping": {}})
    assert queue_source(session, source.id, requested_by="admin@example.org", options={"upload": "b" * 32})
    session.commit()
    assert discard_abandoned_uploads(session, app.instance_path) == 1
    assert not abandoned.exists() and waiting.exists() and fresh.exists()
    # The upload page tidies up as it goes, too.
    os.utime(fresh, (two_days_ago, two_days_ago))
    client = signed_in("admin")
    client.post(
        "/admin/imports/spreadsheet",
        data={
            "csrf_token": csrf_token(client, "/admin/imports/spreadsheet"),
            "file": (io.BytesIO(CSV.encode()), "g.csv"),
        },
        content_type="multipart/form-data",
    )
    assert not fresh.exists() and waiting.exists()
    # Leave no queued source for the module's later tests.
    session.execute(update(ImportSource).where(ImportSource.id == source.id).values(state="idle", queued_options={}))
    session.commit()


def test_sources_are_added_queued_once_and_a_failed_run_shows_its_error(
    signed_in: Callable[..., FlaskClient], session: Any, app: Flask
) -> None:
    client = signed_in("admin")
    token = csrf_token(client, "/admin/imports/")
    added = client.post(
        "/admin/imports/",
        data={
            "csrf_token": token,
            "name": "Council feed",
            "kind": "oruk",
            "url": "https://127.0.0.1/api",
            "schedule": "daily",
        },
    )
    assert added.status_code == 302
    source = session.scalars(select(ImportSource).where(ImportSource.name == "Council feed")).one()
    queued = client.post(f"/admin/imports/sources/{source.id}/run", data={"csrf_token": token}, follow_redirects=True)
    assert "Queued Council feed" in html(queued).get_text(" ")
    again = client.post(f"/admin/imports/sources/{source.id}/run", data={"csrf_token": token}, follow_redirects=True)
    assert "Council feed is already queued or running: it was not queued again." in html(again).get_text(" ")
    assert "failed 1, sources 1." in run_the_scrapers_job(app)  # one run, not two (nor a second as daily)
    link = source_row(client, "Council feed").find("a")
    report = html(client.get(link["href"])).get_text(" ")
    assert "Nothing was changed" in report and "private or internal" in report
    listed = html(client.get("/admin/imports/")).get_text(" ")
    assert "Council feed" in listed and "Bad source" in listed
    bad = client.post("/admin/imports/", data={"csrf_token": token, "name": "", "kind": "oruk", "url": "file:///etc"})
    assert bad.status_code == 422


def test_a_possible_duplicate_is_decided_on_the_page(
    signed_in: Callable[..., FlaskClient], session: Any, make_service: Callable[..., Any], app: Any
) -> None:
    existing = make_service(
        name="Men's Shed Marton", locations=[{"name": "", "address_1": "", "city": "", "postcode": "FY4 4NW"}]
    )
    org = existing.organization.name
    source = ensure_source(session, name="shed list", kind="spreadsheet")
    run_source(
        session, source, app.config, payloads=[f"Name,Organisation,Postcode\nMens shed marton,{org},FY4 4NW\n".encode()]
    )
    candidate = session.scalars(select(MergeCandidate).where(MergeCandidate.source_id == source.id)).one()
    client = signed_in("admin")
    page = client.get("/admin/imports/merges")
    assert "Mens shed marton" in html(page).get_text(" ")
    token = csrf_token(client, "/admin/imports/merges")
    done = client.post(
        "/admin/imports/merges", data={"csrf_token": token, "candidate": candidate.id, "decision": "separate"}
    )
    assert done.status_code == 302
    session.expire_all()
    assert session.get(MergeCandidate, candidate.id).state == "separate"
    assert re.search(r"Done: the record is now listing \d+", html(client.get("/admin/imports/merges")).get_text(" "))
