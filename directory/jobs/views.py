"""The scheduled jobs' page for admins: the stored schedule and every run."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from ..accounts.roles import roles_required
from ..core.db import db
from . import lease
from .registry import recent_runs
from .scheduler import stored_jobs

bp = Blueprint("jobs", __name__)


@bp.get("/admin/jobs")
@roles_required("admin")
def job_log() -> Any:
    """Scheduled jobs: the stored schedule and every run with its outcome, counts and error."""
    return render_template(
        "jobs/log.html",
        runs=recent_runs(db.session),
        stored=stored_jobs(current_app._get_current_object()),  # type: ignore[attr-defined]
        schedule=current_app.config["JOBS_SCHEDULE"],
        holder=lease.current(db.engine),
    )
