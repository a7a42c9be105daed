"""The backlog as CSV for spreadsheets; a cell a spreadsheet would run as a formula is made inert."""

from __future__ import annotations

import csv
import io

from ..core.csv_cells import safe_cell
from ..models.backlog import POPULATION_GROUPS, STATUSES
from .queries import ItemView

CSV_COLUMNS = (
    "item", "category", "status", "area", "local_authorities", "msoas", "lsoas", "flags", "workers", "teams",
    "first_flagged", "last_flagged", "urgency", "population_groups", "assignee", "resolved_service",
    "decline_reason", "imd_decile", "gap_score", "descriptions",
)  # fmt: skip


def export_csv(views: list[ItemView]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for v in views:
        item = v.item
        row = [
            item.id, v.category_name, STATUSES[item.status], item.area_code, " ".join(v.lads), " ".join(v.msoas),
            " ".join(v.lsoas), v.flags, v.workers, "; ".join(v.teams),
            v.first_flagged.date().isoformat() if v.first_flagged else "",
            v.last_flagged.date().isoformat() if v.last_flagged else "",
            v.urgency, "; ".join(POPULATION_GROUPS[g] for g in v.groups),
            item.assignee.email if item.assignee else "",
            item.resolved_service.name if item.resolved_service else "", item.decline_reason,
            "" if v.context.imd_decile is None else v.context.imd_decile,
            "" if v.context.gap_score is None else f"{v.context.gap_score:.3f}",
            " | ".join(f.description for f in item.flags),
        ]  # fmt: skip
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
