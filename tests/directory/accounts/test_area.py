"""A user's area: the local authorities their gap map and table open on, set by admins (CLI or the users page)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from directory.cli import cli
from directory.core.db import db
from directory.gaps.area_data import import_boundaries
from directory.gaps.compute import compute_gaps
from directory.models import User
from tests.conftest import PASSWORD, csrf_token, html
from tests.directory.gaps import gap_world

pytestmark = pytest.mark.both_backends
BLACKPOOL, BURNLEY = "E06000009", "E07000117"
BURNLEY_CODES = ("E01950001", "E01950002", "E01950003")


@pytest.fixture(scope="module")
def world(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The gap world in Blackpool and three more LSOAs, 20 km east, in Burnley."""
    folder = tmp_path_factory.mktemp("gap-files")
    with app.app_context():
        gap_world.seed(db.session, app.config, folder)
        burnley = gap_world.boundaries_geojson(BURNLEY_CODES)
        for feature in burnley["features"]:
            feature["properties"]["LADCD_ACTIVE"] = BURNLEY
            feature["geometry"]["coordinates"] = [[[x + 20_000, y] for x, y in feature["geometry"]["coordinates"][0]]]
        path = folder / "burnley.geojson"
        path.write_text(json.dumps(burnley))
        import_boundaries(db.session, path)
        compute_gaps(db.session, app.config)
        db.session.commit()
        db.session.remove()
    yield


def mapped(client: FlaskClient, path: str = "/gaps/map?category=carers") -> tuple[set[str], Any]:
    response = client.get(path)
    assert response.status_code == 200
    page = html(response)
    script = "\n".join(s.get_text() for s in page.find_all("script") if not s.get("src"))
    data = json.loads(re.search(r"var gap_data_\w+ = (\{.*?\});\n", script).group(1))
    return {f["properties"]["c"] for f in data["areas"]["features"]}, page


def test_users_create_takes_an_area(app: Flask, world: None) -> None:
    runner = app.test_cli_runner()
    account = ["users", "create", "--email", "area@example.org", "--role", "community-development", "--password"]
    made = runner.invoke(cli, [*account, PASSWORD, "--area", "e06000009", "--area", f"{BURNLEY},{BLACKPOOL}"])
    assert made.exit_code == 0, made.output
    assert "Created community-development account for area@example.org (area E06000009 E07000117)." in made.output
    refused = runner.invoke(cli, ["users", "create", "--email", "bad@example.org", "--role", "link-worker",
                                  "--password", PASSWORD, "--area", "E0600000X"])  # fmt: skip
    assert refused.exit_code == 1
    assert "area: E0600000X is not a local authority code (they look like E06000009)." in refused.output
    with app.app_context():
        assert db.session.scalars(select(User.area).where(User.email == "area@example.org")).one() == (
            f"{BLACKPOOL} {BURNLEY}"
        )
        assert db.session.scalar(select(func.count()).where(User.email == "bad@example.org")) == 0
        db.session.remove()


def test_an_admin_sets_an_area_on_the_users_page(
    world: None, signed_in: Callable[..., FlaskClient], make_user: Callable[..., Any], session: Any
) -> None:
    worker = make_user("link-worker")
    admin = signed_in("admin")
    token = csrf_token(admin, "/admin/users")
    saved = admin.post("/admin/users", data={"csrf_token": token, "user_id": worker.id, "area": f" {BURNLEY} "})
    assert saved.status_code == 302
    session.expire_all()
    assert session.get(User, worker.id).area == BURNLEY
    page = html(admin.get("/admin/users"))
    assert page.find("input", id=f"area-{worker.id}")["value"] == BURNLEY
    assert page.find("label", attrs={"for": f"area-{worker.id}"}) is not None
    refused = admin.post("/admin/users", data={"csrf_token": token, "user_id": worker.id, "area": "Burnley"})
    assert refused.status_code == 422
    assert "BURNLEY is not a local authority code" in html(refused).find(class_="flash-error").get_text()
    session.expire_all()
    assert session.get(User, worker.id).area == BURNLEY
    assert admin.post("/admin/users", data={"csrf_token": token, "user_id": "x"}).status_code == 422


def test_the_map_opens_on_the_users_area(world: None, signed_in: Callable[..., FlaskClient]) -> None:
    codes, page = mapped(signed_in("community-development", area=BURNLEY))
    assert codes == set(BURNLEY_CODES)
    assert "Your area (Burnley)" in page.find("p", class_="gap-scope").get_text()  # by name, not E07000117
    chosen = [box["value"] for box in page.find_all("input", attrs={"name": "la"}) if box.has_attr("checked")]
    assert chosen == [BURNLEY]


def test_without_an_area_the_map_opens_on_the_default_areas(world: None, signed_in: Callable[..., FlaskClient]) -> None:
    codes, page = mapped(signed_in("community-development"))
    assert codes == set(gap_world.CODES) | set(BURNLEY_CODES)  # four or fewer authorities: all of them
    assert page.find("p", class_="gap-scope") is None


def test_an_area_without_boundaries_falls_back_to_the_defaults(
    world: None, signed_in: Callable[..., FlaskClient]
) -> None:
    codes, _page = mapped(signed_in("link-worker", area="E08000001"))
    assert codes == set(gap_world.CODES) | set(BURNLEY_CODES)


def test_chosen_authorities_override_the_area_and_the_table_opens_on_it(
    world: None, signed_in: Callable[..., FlaskClient]
) -> None:
    client = signed_in("community-development", area=BURNLEY)
    codes, _page = mapped(client, f"/gaps/map?la={BLACKPOOL}&category=carers")
    assert codes == set(gap_world.CODES)
    table = html(client.get("/gaps/table?category=carers"))
    rows = table.select("table.gap-table tbody tr")
    # Each area is named in words; its code is the last part of its page's address.
    assert {row.find("a")["href"].rsplit("/", 1)[1] for row in rows} == set(BURNLEY_CODES)
