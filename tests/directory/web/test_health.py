"""/healthz, what load balancers and monitors ask: 200 while the database answers, 503 when it does not."""

from __future__ import annotations

from pathlib import Path

from directory import create_app
from directory.core.db import db
from directory.ops.database import init_database
from tests.mailbox import free_port


def test_healthy_while_the_database_answers(tmp_path: Path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'h.sqlite'}", "INSTANCE_PATH": str(tmp_path),
                      "SECRET_KEY": "k"})  # fmt: skip
    with app.app_context():
        init_database()
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    with app.app_context():
        db.engine.dispose()


def test_unhealthy_when_the_database_is_away(tmp_path: Path) -> None:
    """A PostgreSQL server that is not there (nothing listens on the port): the node says so, and a load balancer
    takes it out of rotation."""
    url = f"postgresql+psycopg://nobody:nothing@127.0.0.1:{free_port()}/directory?connect_timeout=2"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}
