"""Pages for: Importers, sources and run reports (issue 7). Admins only."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from scrapers.base import ParseFailed
from scrapers.spreadsheet import FIELDS, guess_mapping, preview_table

from ..accounts.roles import roles_required
from ..core import writes
from ..core.db import db
from ..core.validation import ValidationFailed
from ..models import Service
from ..models.imports import SCHEDULES, SOURCE_KINDS, SOURCE_STATES, ImportRun, ImportSource, MergeCandidate
from .merges import resolve_merge
from .queue import QUEUE_STATES, UPLOAD, discard_abandoned_uploads, progress_of, queue_source, uploads_folder
from .running import quiet_sources, reset_stuck_runs
from .sources import ensure_source

bp = Blueprint("imports", __name__, url_prefix="/admin/imports")
MAX_UPLOAD = 20 * 1024 * 1024
BUSY = "The database is busy with an import just now, so nothing was queued; try again in a minute."


def _actor() -> writes.Actor:
    return writes.Actor(label=f"staff: {current_user.email}", source="staff")


def _uploads() -> Path:
    return uploads_folder(current_app.instance_path)


@bp.route("/", methods=["GET", "POST"])
@roles_required("admin")
def sources() -> Any:
    """Sources with their state and last error; add an ORUK feed or a calendar."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        kind, name, url = form.get("kind", ""), form.get("name", "").strip(), form.get("url", "").strip()
        if kind not in ("oruk", "ical"):
            errors["kind"] = "Choose an ORUK feed or a calendar (spreadsheets are uploaded below)."
        if not name:
            errors["name"] = "Give the source a name."
        if not re.match(r"^(https?|webcal)://", url, re.IGNORECASE):
            errors["url"] = "Give a web address starting https:// (or webcal:// for a calendar)."
        options: dict[str, Any] = {}
        if kind == "ical":
            if not form.get("service_id", "").isdigit():
                errors["service_id"] = "Give the number of the listing whose sessions these are."
            else:
                options["service_id"] = int(form["service_id"])
        if not errors:
            source = ensure_source(db.session, name=name, kind=kind, url=url, options=options)
            source.schedule = str(form.get("schedule")) if form.get("schedule") in SCHEDULES else "manual"
            db.session.commit()
            flash(f"Added the source {source.name}.", "success")
            return redirect(url_for("imports.sources"))
        flash("The source was not added: " + "; ".join(errors.values()), "error")
    reset_stuck_runs(db.session)
    db.session.commit()
    listed = db.session.scalars(select(ImportSource).order_by(ImportSource.name)).all()
    return render_template(
        "imports/sources.html",
        sources=listed,
        progress={s.id: progress_of(current_app.instance_path, s.id) for s in listed if s.state == "running"},
        waiting=QUEUE_STATES,
        quiet={s.id for s in quiet_sources(db.session)},
        states=SOURCE_STATES,
        kinds=SOURCE_KINDS,
        schedules=SCHEDULES,
        open_merges=len(db.session.scalars(select(MergeCandidate.id).where(MergeCandidate.state == "open")).all()),
        errors=errors,
    ), (422 if errors else 200)


@bp.post("/sources/<int:source_id>/run")
@roles_required("admin")
def run(source_id: int) -> Any:
    """Queue a source for the scheduler process to run (web workers never run imports)."""
    source = db.session.get(ImportSource, source_id) or abort(404)
    if source.kind == "spreadsheet" and not source.url:
        flash("Upload the spreadsheet again to re-import it.", "error")
        return redirect(url_for("imports.spreadsheet"))
    try:
        reset_stuck_runs(db.session)  # a run whose process died frees its source at once
        queued = queue_source(db.session, source.id, requested_by=current_user.email)
        db.session.commit()
    except OperationalError:  # SQLite: an import holds the write lock for its whole run
        db.session.rollback()
        flash(BUSY, "error")
        return redirect(url_for("imports.sources"))
    if queued:
        flash(f"Queued {source.name}: the scheduler process starts it shortly; its report appears below.", "success")
    else:
        flash(f"{source.name} is already queued or running: it was not queued again.", "error")
    return redirect(url_for("imports.sources"))


@bp.get("/runs/<int:run_id>")
@roles_required("admin")
def report(run_id: int) -> Any:
    """One run's report: counts, every rejected record with its reason, notices."""
    found = db.session.get(ImportRun, run_id) or abort(404)
    return render_template("imports/run.html", run=found)


@bp.route("/spreadsheet", methods=["GET", "POST"])
@roles_required("admin")
def spreadsheet() -> Any:
    """Upload a CSV or XLSX; the next page confirms how its columns map onto listing fields."""
    if request.method == "POST":
        upload = request.files.get("file")
        payload = upload.read(MAX_UPLOAD + 1) if upload else b""
        if not payload:
            flash("Choose a CSV or XLSX file to upload.", "error")
            return render_template("imports/spreadsheet.html"), 422
        if len(payload) > MAX_UPLOAD:
            flash("The file is larger than 20 MB.", "error")
            return render_template("imports/spreadsheet.html"), 422
        try:
            headers, first_rows, _count = preview_table(payload)
        except ParseFailed as exc:
            flash(f"{upload.filename if upload else 'The file'}: {exc}", "error")
            return render_template("imports/spreadsheet.html"), 422
        discard_abandoned_uploads(db.session, current_app.instance_path)
        token = secrets.token_hex(16)
        (_uploads() / f"{token}.bin").write_bytes(payload)
        return render_template(
            "imports/mapping.html",
            token=token,
            filename=(upload.filename if upload else "") or "spreadsheet",
            headers=headers,
            guessed=guess_mapping(headers),
            fields=list(FIELDS),
            preview=first_rows,
        )
    return render_template("imports/spreadsheet.html")


@bp.post("/spreadsheet/confirm")
@roles_required("admin")
def confirm() -> Any:
    """Queue an uploaded spreadsheet's import with the mapping a person confirmed."""
    token = request.form.get("token", "")
    path = _uploads() / f"{token}.bin"
    if not UPLOAD.match(token) or not path.exists():
        flash("That upload has expired; upload the file again.", "error")
        return redirect(url_for("imports.spreadsheet"))
    headers = request.form.getlist("header")
    mapping = {h: (request.form.get(f"map-{i}", "") if request.form.get(f"map-{i}", "") in FIELDS else "")
               for i, h in enumerate(headers)}  # fmt: skip
    name = (request.form.get("name", "").strip() or "Uploaded spreadsheet")[:255]
    existing = db.session.scalars(select(ImportSource).where(ImportSource.name == name)).first()
    if existing is None or existing.state not in QUEUE_STATES:
        options = {"upload": token, "force": True, "all_or_nothing": request.form.get("all_or_nothing") == "yes"}
        try:
            source = ensure_source(db.session, name=name, kind="spreadsheet", options={"mapping": mapping})
            queued = queue_source(db.session, source.id, requested_by=current_user.email, options=options)
            db.session.commit()
        except OperationalError:  # SQLite: an import holds the write lock for its whole run
            db.session.rollback()
            flash(BUSY + " Confirm the columns again then.", "error")
            return redirect(url_for("imports.spreadsheet"))
        if queued:
            flash(f"Queued {name}: the scheduler process imports it shortly; its report appears below.", "success")
            return redirect(url_for("imports.sources"))
        existing = source
    if (existing.queued_options or {}).get("upload") != token:  # not this very upload, sent twice
        path.unlink(missing_ok=True)
    flash(f"{name} is already queued or running: it was not queued again.", "error")
    return redirect(url_for("imports.sources"))


@bp.route("/merges", methods=["GET", "POST"])
@roles_required("admin")
def merges() -> Any:
    """Imported records that look like existing listings: merge them in, or keep them as new."""
    if request.method == "POST":
        try:
            target = resolve_merge(
                db.session, int(request.form.get("candidate", "0") or 0), request.form.get("decision", ""), _actor()
            )
            db.session.commit()
        except (ValidationFailed, writes.NotFound, writes.StaleEdit) as exc:
            db.session.rollback()
            flash(f"Not done: {exc}", "error")
        else:
            flash(f"Done: the record is now listing {target}.", "success")
        return redirect(url_for("imports.merges"))
    candidates = db.session.scalars(
        select(MergeCandidate).where(MergeCandidate.state == "open").order_by(MergeCandidate.id)
    ).all()
    existing = {c.service_id: db.session.get(Service, c.service_id) for c in candidates}
    return render_template("imports/merges.html", candidates=candidates, existing=existing)
