"""``resettle export persons --format csv|xlsx --out FILE [--user USERNAME]`` and
``resettle export aggregates --format hxl --out FILE`` (counts only, for partners)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from resettle.registry.management.commands._common import acting_user, fail


class Command(BaseCommand):
    help = (
        "Export persons (only what the named user may see; audited), or aggregate counts "
        "for partners in HXL (no individual rows, counts below 5 suppressed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["persons", "aggregates"])
        parser.add_argument("--format", dest="fmt", choices=["csv", "xlsx", "hxl"],
                            required=True, help="csv or xlsx for persons, hxl for aggregates")
        parser.add_argument("--out", required=True, help="file to write (mode 0600)")
        parser.add_argument("--user", help="export what this user may see, in their name")

    def handle(self, *args: Any, **options: Any) -> None:
        from resettle.accounts.policy import Action
        from resettle.registry import exporting
        from resettle.registry.duplicates import scoped_persons
        from resettle.registry.selectors import persons_for
        from resettle.registry.services import record_export, scope_of

        out = Path(options["out"])
        if not out.parent.is_dir():
            fail(self, f"--out: directory '{out.parent}' does not exist")
        if options["kind"] == "aggregates":
            self._aggregates(out, options)
            return
        if options["fmt"] == "hxl":
            fail(self, "--format: persons are exported as csv or xlsx; hxl is for aggregates")
        user = acting_user(self, options.get("user"))
        scope = scope_of(user)
        if not scope.can(Action.EXPORT):
            fail(self, f"--user: '{options['user']}' may not export")
        persons = persons_for(user) if user is not None else scoped_persons(None)
        data, count, columns = exporting.export(persons, scope, options["fmt"])
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        record_export(actor=user, fmt=options["fmt"], rows=count, columns=columns, via="cli")
        self.stdout.write(f"{count} persons written to {out} ({len(columns)} columns).")

    def _aggregates(self, out: Path, options: dict[str, Any]) -> None:
        from datetime import date

        from django.db import transaction

        from resettle.accounts.operator import acting_user as operator_or_user
        from resettle.accounts.policy import Action
        from resettle.accounts.selectors import scope_for
        from resettle.audit.services import record
        from resettle.reports.hxl import render_hxl
        from resettle.reports.selectors import aggregate_rows

        if options["fmt"] != "hxl":
            fail(self, "--format: aggregates are exported as hxl")
        user = operator_or_user(options.get("user"))
        if not scope_for(user).can(Action.VIEW_DASHBOARD):
            fail(self, f"--user: '{options['user']}' may not export aggregates")
        body = render_hxl(aggregate_rows(user, on=date.today()))
        out.write_text(body, encoding="utf-8")
        with transaction.atomic():
            record(actor=user, action="export.aggregates", object_type="report",
                   detail={"format": "hxl", "channel": "cli"})
        self.stdout.write(f"Aggregates written to {out} (HXL, small counts suppressed).")
