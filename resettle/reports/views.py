"""Dashboard, situation report and partner aggregates for managers."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_safe

from resettle.accounts.policy import Action
from resettle.accounts.selectors import require
from resettle.audit.services import record
from resettle.forecast.dashboard import dashboard_forecast
from resettle.reports import charts
from resettle.reports.hxl import render_hxl
from resettle.reports.selectors import aggregate_rows, build_dashboard
from resettle.reports.sitrep import build_sitrep_pdf


@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.VIEW_DASHBOARD)
    data = build_dashboard(request.user)
    span = (data.months[0], data.months[-1]) if data.months else (date.today(), date.today())
    total_days = max((span[1] - span[0]).days, 1)
    try:
        forecast_url: str | None = reverse("forecast:whatif")
    except NoReverseMatch:
        forecast_url = None
    context = {
        "data": data,
        "forecast_url": forecast_url,
        "forecast": dashboard_forecast(request.user),
        "present_chart": charts.line_chart(
            "Residents present", data.labels, {"Residents present": data.present}
        ),
        "departures_chart": charts.stacked_bars(
            "Departures per month by destination", data.labels, data.departures_by_destination
        ),
        "funnel_chart": charts.horizontal_bars("Households by stage", data.funnel),
        "holds_chart": charts.horizontal_bars("Active holds by type", data.holds),
        "incident_chart": charts.event_timeline(
            "Incidents",
            span[0].isoformat(),
            date.today().isoformat(),
            [
                ((day - span[0]).days / total_days, label, killed, injured)
                for day, label, killed, injured in data.incidents
            ],
        ),
        "exposure_chart": charts.line_chart(
            "Camp exposure (risk x person-days per month)", data.labels,
            {"Exposure": data.exposure},
        ),
    }
    return render(request, "reports/dashboard.html", context)


def _report_day(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return date.today()


@require_safe
def sitrep(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.VIEW_DASHBOARD)
    day = _report_day(request)
    pdf = build_sitrep_pdf(request.user, day=day)
    with transaction.atomic():
        record(actor=request.user, action="report.sitrep", object_type="report",
               detail={"date": day.isoformat()})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="sitrep-{day.isoformat()}.pdf"'
    return response


@require_safe
def aggregates_hxl(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.VIEW_DASHBOARD)
    day = date.today()
    body = render_hxl(aggregate_rows(request.user, on=day))
    with transaction.atomic():
        record(actor=request.user, action="export.aggregates", object_type="report",
               detail={"format": "hxl"})
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="aggregates-{day.isoformat()}.csv"'
    return response
