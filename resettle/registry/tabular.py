"""Reading and writing person tables as CSV or XLSX, with file line numbers kept.

Reading turns either format into the same ``Table`` of text cells, so the import has one
set of rules: CSV is UTF-8 with or without a BOM, comma- or semicolon-separated (sniffed
from the header line), quoted fields, LF or CRLF; XLSX date cells become ISO dates and
formula cells are reported, never evaluated. Writing neutralises formula triggers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from resettle.registry.values import neutralise

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TableError(ValueError):
    """The file cannot be read as a table at all (wrong type, not UTF-8, empty)."""


@dataclass
class Table:
    """A header and rows of text cells; ``lines[i]`` is the file line of ``rows[i]``."""

    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    #: (file line, column index) of XLSX cells holding a formula
    formula_cells: set[tuple[int, int]] = field(default_factory=set)


def table_format(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix == ".xlsx":
        return "xlsx"
    raise TableError(f"'{Path(filename).name}' is neither .csv nor .xlsx")


def read_table(data: bytes, filename: str) -> Table:
    """Read CSV or XLSX bytes (the format is chosen by the file name's extension)."""
    if table_format(filename) == "xlsx":
        return read_xlsx(data)
    return read_csv(data)


def _sniff_delimiter(first_line: str) -> str:
    """Semicolon when the header has more semicolons than commas (European spreadsheets)."""
    return ";" if first_line.count(";") > first_line.count(",") else ","


def read_csv(data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(
            f"the file is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8"
        ) from None
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first_line))
    header: list[str] | None = None
    table = Table(header=[])
    previous_end = 0
    try:
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in record]
                if start != 1:
                    raise TableError(f"the header must be on line 1, found it on line {start}")
                table.header = header
                continue
            table.rows.append(record)
            table.lines.append(start)
    except csv.Error as exc:
        raise TableError(f"line {reader.line_num}: {exc}") from None
    if header is None:
        raise TableError("the file is empty")
    return table


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else (
            value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise TableError(
            f"the file is not a readable XLSX workbook ({type(exc).__name__})"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        table = Table(header=[])
        header: list[str] | None = None
        for line, row in enumerate(sheet.iter_rows(), start=1):
            cells = [c for c in row if c is not None]
            texts = [_cell_text(getattr(c, "value", None)) for c in cells]
            if not any(t.strip() for t in texts):
                continue
            if header is None:
                if line != 1:
                    raise TableError(f"the header must be on line 1, found it on line {line}")
                header = [t.strip().lower() for t in texts]
                while header and not header[-1]:
                    header.pop()
                table.header = header
                continue
            for index, cell in enumerate(cells):
                if getattr(cell, "data_type", "") == "f":
                    table.formula_cells.add((line, index))
            table.rows.append(texts)
            table.lines.append(line)
    finally:
        workbook.close()
    if header is None:
        raise TableError("the workbook's first sheet is empty")
    return table


def write_csv(out: IO[str], header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """CSV with a UTF-8 BOM (so spreadsheet programs detect the encoding); guarded cells."""
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
        count += 1
    return count


def write_xlsx(out: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """One sheet of text cells (never formulas: guarded values stay strings)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("persons")
    sheet.append(list(header))
    count = 0
    for row in rows:
        sheet.append([neutralise(cell) for cell in row])
        count += 1
    workbook.save(out)
    return count
