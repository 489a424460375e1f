"""The daily situation report: the day's numbers, changes since the previous report, charts.

Numbers are reconstructed "as of" the report date from the dated records (arrival and
departure days, stage history, hold dates), so a report for a past day tells what was
known to be true on that day. Rendered with reportlab: no browser involved.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from resettle.casework.models import Hold, HoldStatus, StageChange
from resettle.core.stages import PIPELINE, HoldType, Stage
from resettle.departures.models import Departure, DepartureStatus
from resettle.incidents.selectors import casualty_counts, incidents_for
from resettle.registry.models import PersonStatus
from resettle.registry.selectors import households_for, persons_for
from resettle.reports.selectors import build_dashboard


@dataclass(frozen=True)
class DayNumbers:
    day: date
    residents_present: int
    departed: int
    deceased: int
    by_stage: dict[str, int]
    holds_active: dict[str, int]
    incidents_total: int
    killed_total: int


def numbers_on(user: Any, day: date) -> DayNumbers:
    persons = persons_for(user)
    present = persons.filter(arrived_in_camp__lte=day).filter(
        Q(left_camp__isnull=True) | Q(left_camp__gt=day)
    )
    departed = persons.filter(status=PersonStatus.DEPARTED, left_camp__lte=day)
    deceased = persons.filter(status=PersonStatus.DECEASED, left_camp__lte=day)
    latest: dict[Any, tuple[Any, str]] = {}
    for household_id, at, to_stage in StageChange.objects.filter(
        household__in=households_for(user), at__date__lte=day
    ).values_list("household_id", "at", "to_stage"):
        if household_id not in latest or latest[household_id][0] <= at:
            latest[household_id] = (at, to_stage)
    by_stage = {s.value: 0 for s in Stage}
    for _at, stage in latest.values():
        by_stage[stage] = by_stage.get(stage, 0) + 1
    holds = Hold.objects.filter(person__in=persons, start_date__lte=day).exclude(
        status=HoldStatus.PROPOSED
    ).filter(Q(lifted_at__isnull=True) | Q(lifted_at__date__gt=day))
    holds_active = {h.value: holds.filter(hold_type=h.value).count() for h in HoldType}
    incidents = incidents_for(user).filter(occurred_at__date__lte=day)
    return DayNumbers(
        day=day,
        residents_present=present.count(),
        departed=departed.count(),
        deceased=deceased.count(),
        by_stage=by_stage,
        holds_active=holds_active,
        incidents_total=incidents.count(),
        killed_total=sum(casualty_counts(i)[0] for i in incidents),
    )


def _change(now: int, before: int) -> str:
    delta = now - before
    return f"{delta:+d}" if delta else "no change"


def _present_chart(labels: list[str], values: list[int]) -> Drawing:
    drawing = Drawing(170 * mm, 55 * mm)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 12 * mm, 8 * mm, 150 * mm, 42 * mm
    plot.data = [list(enumerate(values))]
    plot.lines[0].strokeColor = colors.HexColor("#1f5f8b")
    plot.lines[0].strokeWidth = 1.5
    plot.xValueAxis.valueMin = 0
    plot.xValueAxis.valueMax = max(len(values) - 1, 1)
    plot.xValueAxis.valueSteps = list(range(0, len(values), max(1, len(values) // 6)))
    plot.xValueAxis.labelTextFormat = lambda i: labels[int(i)] if int(i) < len(labels) else ""
    plot.yValueAxis.valueMin = 0
    drawing.add(plot)
    drawing.add(String(12 * mm, 52 * mm, "Residents present, by month", fontSize=8))
    return drawing


def _funnel_chart(rows: list[tuple[str, int]]) -> Drawing:
    drawing = Drawing(170 * mm, 60 * mm)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30 * mm, 5 * mm, 130 * mm, 50 * mm
    chart.data = [[n for _l, n in reversed(rows)]]
    chart.categoryAxis.categoryNames = [label for label, _n in reversed(rows)]
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#1f5f8b")
    drawing.add(chart)
    drawing.add(String(30 * mm, 57 * mm, "Households by stage", fontSize=8))
    return drawing


def build_sitrep_pdf(user: Any, *, day: date, previous_day: date | None = None) -> bytes:
    """One to three pages: numbers, changes since the previous report, charts."""
    previous_day = previous_day or day - timedelta(days=1)
    now, before = numbers_on(user, day), numbers_on(user, previous_day)
    styles = getSampleStyleSheet()
    story: list[Any] = [
        Paragraph(f"Situation report, {day.isoformat()}", styles["Title"]),
        Paragraph(
            f"Changes are against {previous_day.isoformat()}. Aggregates only; "
            "no individual is named in this report.",
            styles["Italic"],
        ),
        Spacer(1, 4 * mm),
    ]
    headline: list[list[Any]] = [
        ["", "Today", "Change"],
        ["Residents present", now.residents_present,
         _change(now.residents_present, before.residents_present)],
        ["Departed (total)", now.departed, _change(now.departed, before.departed)],
        ["Deceased (total)", now.deceased, _change(now.deceased, before.deceased)],
        ["Incidents (total)", now.incidents_total,
         _change(now.incidents_total, before.incidents_total)],
        ["Killed in incidents (total)", now.killed_total,
         _change(now.killed_total, before.killed_total)],
    ]
    headline += [
        [f"Active {kind} holds", n, _change(n, before.holds_active.get(kind, 0))]
        for kind, n in now.holds_active.items()
    ]
    story.append(_table(headline))
    story.append(Spacer(1, 5 * mm))
    stages: list[list[Any]] = [["Stage", "Households", "Change"]] + [
        [s.label, now.by_stage.get(s.value, 0),
         _change(now.by_stage.get(s.value, 0), before.by_stage.get(s.value, 0))]
        for s in PIPELINE
    ]
    story.append(Paragraph("Pipeline", styles["Heading2"]))
    story.append(_table(stages))
    upcoming = Departure.objects.filter(
        date__gte=day, date__lte=day + timedelta(days=14),
        status__in=[DepartureStatus.PLANNED, DepartureStatus.CONFIRMED],
    ).select_related("destination").order_by("date")
    story.append(Paragraph("Departures in the next 14 days", styles["Heading2"]))
    rows: list[list[Any]] = [["Date", "Flight", "Destination", "Seats", "Status"]] + [
        [d.date.isoformat(), d.code, d.destination.code, d.seats, d.get_status_display()]
        for d in upcoming
    ]
    story.append(_table(rows) if len(rows) > 1 else Paragraph("None scheduled.", styles["Normal"]))
    recent = incidents_for(user).filter(
        occurred_at__date__gt=previous_day, occurred_at__date__lte=day
    )
    story.append(Paragraph("Incidents since the previous report", styles["Heading2"]))
    rows = [["When", "Type", "Severity", "Killed", "Injured"]] + [
        [i.occurred_at.strftime("%Y-%m-%d %H:%M"), i.get_incident_type_display(),
         i.get_severity_display(), *casualty_counts(i)]
        for i in recent
    ]
    story.append(_table(rows) if len(rows) > 1 else Paragraph("None.", styles["Normal"]))
    dashboard = build_dashboard(user, today=day)
    story.append(Spacer(1, 5 * mm))
    if len(dashboard.present) > 1:
        story.append(_present_chart(dashboard.labels, dashboard.present))
    story.append(_funnel_chart(dashboard.funnel))
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, title=f"Situation report {day.isoformat()}",
        leftMargin=18 * mm, rightMargin=18 * mm, topMargin=15 * mm, bottomMargin=15 * mm,
    ).build(story)
    return buffer.getvalue()


def _table(rows: list[list[Any]]) -> Table:
    table = Table(rows, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c8cfd6")),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table
