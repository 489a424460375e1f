"""``resettle report sitrep [--date YYYY-MM-DD] --out FILE.pdf [--user USER]``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from resettle.accounts.operator import acting_user
from resettle.accounts.policy import Action
from resettle.accounts.selectors import scope_for
from resettle.audit.services import record
from resettle.reports.sitrep import build_sitrep_pdf


class Command(BaseCommand):
    help = "Write the situation report for a day as PDF (aggregates only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["sitrep"], help="the report to write")
        parser.add_argument("--date", help="report day, YYYY-MM-DD (default: today)")
        parser.add_argument("--out", required=True, help="PDF file to write")
        parser.add_argument("--user", help="act as this user (default: the console operator)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else date.today()
        except ValueError as exc:
            raise CommandError(f"--date: '{options['date']}' is not a YYYY-MM-DD date") from exc
        user = acting_user(options["user"])
        if not scope_for(user).can(Action.VIEW_DASHBOARD):
            raise CommandError("This user may not produce situation reports.")
        pdf = build_sitrep_pdf(user, day=day)
        with transaction.atomic():
            record(actor=user, action="report.sitrep", object_type="report",
                   detail={"date": day.isoformat(), "channel": "cli"})
        Path(options["out"]).write_bytes(pdf)
        self.stdout.write(f"Wrote the situation report for {day.isoformat()} to {options['out']}.")
