"""``resettle duplicates scan [--json] [--threshold T]``: likely duplicate pairs.

The scan also refreshes the review queue (the "Duplicates" page): open pairs are
replaced, decided pairs stay, "not the same" pairs are never proposed again.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from resettle.registry.management.commands._common import acting_user, fail


class Command(BaseCommand):
    help = "Find likely duplicate persons (pairs above the threshold, with reasons)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["scan"])
        parser.add_argument("--json", action="store_true", help="print JSON: {\"pairs\": [...]}")
        parser.add_argument("--threshold", type=float, default=None,
                            help="score from 0 to 1 (default: the detector's default)")
        parser.add_argument("--user", help="scan what this user may see, in their name")

    def handle(self, *args: Any, **options: Any) -> None:
        from resettle.accounts.policy import Action
        from resettle.core.dedupe import DEFAULT_THRESHOLD
        from resettle.registry.duplicates import pairs_as_json, refresh_queue
        from resettle.registry.services import scope_of

        threshold = options["threshold"]
        if threshold is None:
            threshold = DEFAULT_THRESHOLD
        if not 0.0 <= threshold <= 1.0:
            fail(self, f"--threshold: {threshold} is not between 0 and 1")
        user = acting_user(self, options.get("user"))
        scope = scope_of(user)
        if not scope.can(Action.EDIT_REGISTRY):
            fail(self, f"--user: '{options['user']}' may not review duplicates")
        result = refresh_queue(actor=user, scope=None if user is None else scope,
                               threshold=threshold, via="cli")
        if options["json"]:
            self.stdout.write(json.dumps(pairs_as_json(result), ensure_ascii=False))
            return
        for pair in result.pairs:
            self.stdout.write(f"{pair.a}\t{pair.b}\t{pair.score:.2f}\t" + "; ".join(pair.reasons))
        stats = result.stats
        self.stdout.write(
            f"{len(result.pairs)} pairs from {stats.records} persons "
            f"({stats.comparisons} comparisons of {stats.all_pairs} possible)."
        )
