"""Aggregate export for partners in HXL (Humanitarian Exchange Language) CSV.

Counts only, never an individual row; any count from 1 to 4 is suppressed (left empty
and flagged) so that small groups cannot be singled out. Zero is kept: it reveals no one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

SUPPRESSION_THRESHOLD = 5
COLUMNS: tuple[tuple[str, str, str], ...] = (
    # key, header, HXL hashtag
    ("date", "Date", "#date"),
    ("site", "Site", "#loc+name"),
    ("stage", "Stage", "#status+stage"),
    ("destination", "Destination country", "#country+code"),
    ("in_camp", "Persons in camp", "#affected+incamp"),
    ("departed", "Persons departed", "#affected+departed"),
    ("event_type", "Incident type", "#event+type"),
    ("killed", "Killed", "#affected+killed"),
    ("injured", "Injured", "#affected+injured"),
    ("suppressed", "Small counts suppressed", "#meta+suppressed"),
)
COUNT_KEYS = ("in_camp", "departed", "killed", "injured")


def suppress(row: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``row`` with every count in 1..4 blanked and the row flagged."""
    out = dict(row)
    hidden = [
        key for key in COUNT_KEYS
        if isinstance(out.get(key), int) and 0 < out[key] < SUPPRESSION_THRESHOLD
    ]
    for key in hidden:
        out[key] = ""
    out["suppressed"] = "yes" if hidden else ""
    return out


def render_hxl(rows: Iterable[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for _k, header, _t in COLUMNS])
    writer.writerow([tag for _k, _h, tag in COLUMNS])
    for row in rows:
        safe = suppress(row)
        writer.writerow([_cell(safe.get(key, "")) for key, _h, _t in COLUMNS])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    """Neutralise spreadsheet formulas in text cells (site names are free text)."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r" and not isinstance(value, int):
        return "'" + text
    return text
