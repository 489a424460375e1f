"""Manifests: who is on a departure, as the carrier and the destination need it.

Two variants. The carrier's holds only what an airline asks for (name as in the travel
document, date of birth, sex, nationality, document number, special needs such as a
wheelchair or an escort). The destination's adds what its reception needs (household
grouping, relationship, languages, specific-needs codes). Columns of field groups the
user's role may not see are left out, never blanked. Every text cell of a CSV or XLSX is
guarded against formula injection. Generating a manifest is audited by the view.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from resettle.accounts.policy import FieldGroup
from resettle.accounts.selectors import Scope
from resettle.casework.models import Document
from resettle.core.stages import DocumentKind
from resettle.departures.models import Departure
from resettle.departures.selectors import SEAT_HOLDING, ManifestHousehold, manifest_of
from resettle.registry.values import FORMULA_TRIGGERS, GUARD


class Variant(StrEnum):
    CARRIER = "carrier"
    DESTINATION = "destination"


class Format(StrEnum):
    PDF = "pdf"
    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    group: FieldGroup


CARRIER_COLUMNS: tuple[Column, ...] = (
    Column("family_name", "Family name", FieldGroup.IDENTITY),
    Column("given_name", "Given name", FieldGroup.IDENTITY),
    Column("date_of_birth", "Date of birth", FieldGroup.IDENTITY),
    Column("sex", "Sex", FieldGroup.IDENTITY),
    Column("nationality", "Nationality", FieldGroup.IDENTITY),
    Column("document_number", "Travel document", FieldGroup.DOCUMENTS),
    Column("special_needs", "Special needs", FieldGroup.NEEDS),
)
#: the destination's variant: the carrier's columns plus what reception needs
DESTINATION_COLUMNS: tuple[Column, ...] = (
    Column("household", "Household", FieldGroup.IDENTITY),
    Column("relationship", "Relationship", FieldGroup.IDENTITY),
    *CARRIER_COLUMNS,
    Column("languages", "Languages", FieldGroup.PROFILE),
    Column("specific_needs", "Specific needs (codes)", FieldGroup.NEEDS),
)
VARIANT_COLUMNS: dict[Variant, tuple[Column, ...]] = {
    Variant.CARRIER: CARRIER_COLUMNS,
    Variant.DESTINATION: DESTINATION_COLUMNS,
}


def columns_for(variant: Variant, scope: Scope) -> list[Column]:
    return [c for c in VARIANT_COLUMNS[variant] if scope.sees(c.group)]


def guard(text: str) -> str:
    """Formula-injection guard for one text cell (also when spaces precede the trigger)."""
    return GUARD + text if text.lstrip().startswith(FORMULA_TRIGGERS) else text


@dataclass
class Manifest:
    departure: Departure
    variant: Variant
    columns: list[Column]
    #: per household: its reference and its passengers' rows (column key -> text)
    groups: list[tuple[str, list[dict[str, str]]]]

    @property
    def passengers(self) -> int:
        return sum(len(rows) for _ref, rows in self.groups)

    @property
    def needs_totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for _ref, rows in self.groups:
            for row in rows:
                for need in filter(None, row.get("_needs", "").split(", ")):
                    totals[need] = totals.get(need, 0) + 1
        return dict(sorted(totals.items()))


def _documents(person_ids: list[Any], on: date) -> dict[Any, str]:
    """Each person's travel document number valid on the departure day (latest first)."""
    found: dict[Any, str] = {}
    docs = Document.objects.filter(
        person_id__in=person_ids, kind=DocumentKind.TRAVEL_DOCUMENT, revoked=False
    ).order_by("person_id", "-valid_until")
    for doc in docs:
        if doc.person_id in found:
            continue
        if (doc.valid_from is None or doc.valid_from <= on) and (
            doc.valid_until is None or doc.valid_until >= on
        ):
            found[doc.person_id] = doc.number
    return found


def build(departure: Departure, variant: Variant, scope: Scope) -> Manifest:
    """The manifest: every passenger holding a seat (after departure: exactly those who
    boarded), grouped by household, with the columns the scope may see."""
    columns = columns_for(variant, scope)
    groups_in: list[ManifestHousehold] = manifest_of(departure, statuses=SEAT_HOLDING)
    person_ids = [line.person_id for g in groups_in for line in g.lines]
    numbers = _documents(person_ids, departure.date) if any(
        c.key == "document_number" for c in columns) else {}
    groups: list[tuple[str, list[dict[str, str]]]] = []
    for group in groups_in:
        rows = []
        for line in group.lines:
            person = line.person
            needs = ", ".join(line.special_needs or [])
            values = {
                "household": group.household.reference,
                "relationship": group.relationships.get(line.person_id, "").replace("_", " "),
                "family_name": person.family_name,
                "given_name": person.given_name,
                "date_of_birth": person.date_of_birth.isoformat(),
                "sex": person.sex,
                "nationality": person.nationality,
                "document_number": numbers.get(line.person_id, ""),
                "special_needs": needs,
                "languages": ", ".join(person.languages or []),
                "specific_needs": ", ".join(person.specific_needs or []),
            }
            row = {c.key: values[c.key] for c in columns}
            if scope.sees(FieldGroup.NEEDS):
                row["_needs"] = needs
            rows.append(row)
        groups.append((group.household.reference, rows))
    return Manifest(departure, variant, columns, groups)


def filename(manifest: Manifest, fmt: Format) -> str:
    return f"manifest-{manifest.departure.code}-{manifest.variant.value}.{fmt.value}"


def to_csv(manifest: Manifest) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in manifest.columns])
    for _ref, rows in manifest.groups:
        for row in rows:
            writer.writerow([guard(row[c.key]) for c in manifest.columns])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(manifest: Manifest) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Manifest"[:31]
    sheet.append([c.label for c in manifest.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for _ref, rows in manifest.groups:
        for row in rows:
            sheet.append([guard(row[c.key]) for c in manifest.columns])
    for cell_row in sheet.iter_rows(min_row=2):
        for cell in cell_row:
            cell.data_type = "s"  # text, never a formula
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def _fonts() -> tuple[str, str]:
    """DejaVu (wide Latin coverage) when installed, else the built-in Helvetica."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular, bold = _FONT_DIR / "DejaVuSans.ttf", _FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
        return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def to_pdf(manifest: Manifest) -> bytes:
    """Printable A4 landscape: one line per passenger, households grouped, totals."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font, bold = _fonts()
    title = ParagraphStyle("t", fontName=bold, fontSize=14, leading=18)
    body = ParagraphStyle("b", fontName=font, fontSize=9, leading=12)
    d = manifest.departure
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
        topMargin=12 * mm, bottomMargin=12 * mm,
        title=f"Manifest {d.code}", author="resettle",
    )
    variant = "carrier" if manifest.variant == Variant.CARRIER else "destination (reception)"
    facts = (
        f"{d.date.isoformat()} · {d.origin.name} → {d.destination.name}"
        + (f" via {', '.join(d.transit_points)}" if d.transit_points else "")
        + (f" · {d.carrier}" if d.carrier else "")
        + (f" {d.flight_number}" if d.flight_number else "")
        + f" · status {d.status}"
    )
    from xml.sax.saxutils import escape

    story: list[Any] = [
        Paragraph(escape(f"Manifest {d.code} — {variant} variant"), title),
        Paragraph(escape(facts), body),
        Spacer(1, 4 * mm),
    ]
    header = ["#"] + [c.label for c in manifest.columns]
    data: list[list[str]] = [header]
    styles: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTNAME", (0, 0), (-1, 0), bold),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecef")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("REPEATROWS", (0, 0), (-1, 0)),
    ]
    n = 0
    for g, (reference, rows) in enumerate(manifest.groups, start=1):
        label = f"Household {g} ({len(rows)} passenger{'s' if len(rows) != 1 else ''})"
        if manifest.variant == Variant.DESTINATION and any(
                c.key == "household" for c in manifest.columns):
            label += f" · {reference}"
        data.append([label] + [""] * len(manifest.columns))
        r = len(data) - 1
        styles += [("SPAN", (0, r), (-1, r)), ("FONTNAME", (0, r), (-1, r), bold),
                   ("BACKGROUND", (0, r), (-1, r), colors.HexColor("#f6f7f8")),
                   ("LINEABOVE", (0, r), (-1, r), 0.5, colors.grey)]
        for row in rows:
            n += 1
            data.append([str(n)] + [row[c.key] for c in manifest.columns])
    table = Table(data, repeatRows=1)
    table.setStyle(TableStyle(styles))
    story.append(table)
    story.append(Spacer(1, 5 * mm))
    totals = f"Totals: {manifest.passengers} passengers in {len(manifest.groups)} households"
    needs = manifest.needs_totals
    if needs:
        totals += " · " + ", ".join(f"{k}: {v}" for k, v in needs.items())
    totals += f" · seats {d.seats}"
    if d.escort_seats:
        totals += f", escort seats {d.escort_seats}"
    story.append(Paragraph(escape(totals), body))
    doc.build(story)
    return buffer.getvalue()


RENDERERS = {Format.CSV: to_csv, Format.XLSX: to_xlsx, Format.PDF: to_pdf}
CONTENT_TYPES = {
    Format.CSV: "text/csv; charset=utf-8",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.PDF: "application/pdf",
}
