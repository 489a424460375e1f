"""Building import files in tests (CSV text or XLSX bytes) from rows of column values."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from resettle.registry.importing import COLUMN_NAMES

BASE: dict[str, Any] = {
    "registration_id": "N-0001",
    "household_id": "HN1",
    "relationship": "principal",
    "given_name": "Parisa",
    "family_name": "Moradi",
    "given_name_original": "",
    "family_name_original": "",
    "sex": "F",
    "date_of_birth": "1985-04-12",
    "nationality": "IR",
    "languages": "fa",
    "specific_needs": "",
    "phone": "",
    "document_number": "",
    "ties": "",
    "site": "Camp A",
}


def row(**values: Any) -> dict[str, Any]:
    return {**BASE, **values}


def csv_text(rows: Sequence[dict[str, Any]], *, sep: str = ",", newline: str = "\n",
             columns: Sequence[str] = COLUMN_NAMES, bom: bool = False) -> str:
    def quote(value: Any) -> str:
        text = str(value)
        if any(c in text for c in (sep, '"', "\n", "\r")):
            return '"' + text.replace('"', '""') + '"'
        return text

    lines = [sep.join(columns)]
    lines += [sep.join(quote(r.get(c, "")) for c in columns) for r in rows]
    return ("\ufeff" if bom else "") + newline.join(lines) + newline


def xlsx_bytes(rows: Sequence[dict[str, Any]], columns: Sequence[str] = COLUMN_NAMES) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(columns))
    for r in rows:
        sheet.append([r.get(c, "") if not isinstance(r.get(c), date) else r[c]
                      for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
