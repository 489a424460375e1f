"""``resettle keys rotate [--batch-size N] [--destroy-retired]`` and ``resettle keys status``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Encryption keys: rotate the data key (resumable) or show which keys seal what."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rotate = sub.add_parser("rotate", help="re-encrypt every sensitive value under a new "
                                "data key; resumes an interrupted rotation")
        rotate.add_argument("--batch-size", type=int, default=500)
        rotate.add_argument("--destroy-retired", action="store_true",
                            help="delete retired data keys once nothing uses them")
        sub.add_parser("status", help="data keys and how many values each one seals")

    def handle(self, *args: Any, **options: Any) -> None:
        from resettle.encryption import keys, rotation
        from resettle.encryption.models import DataKey, Rotation

        if options["action"] == "status":
            usage = rotation.key_usage()
            self.stdout.write(f"master key fingerprint: {keys.master_fingerprint()}")
            for key in DataKey.objects.order_by("created_at"):
                self.stdout.write(f"{key.key_id}  {key.state:8} created {key.created_at:%Y-%m-%d}"
                                  f"  values {usage.get(key.key_id, 0)}")
            if usage.get("plaintext"):
                self.stdout.write(f"not yet encrypted: {usage['plaintext']} values "
                                  "(run `resettle keys rotate`)")
            pending = Rotation.objects.filter(finished_at__isnull=True).first()
            if pending is not None:
                self.stdout.write(f"unfinished rotation to {pending.target_key_id}: "
                                  "run `resettle keys rotate` to resume")
            return
        if options["batch_size"] < 1:
            self.stderr.write("--batch-size: must be at least 1")
            raise SystemExit(2)
        result = rotation.rotate(
            batch_size=options["batch_size"], destroy_retired=options["destroy_retired"],
            report=lambda column, n: self.stdout.write(f"  {column}: {n} re-encrypted"),
        )
        verb = "resumed" if result.resumed else "started"
        self.stdout.write(f"rotation to key {result.target_key_id} {verb}: "
                          f"{result.rows_reencrypted} values re-encrypted")
        for error in result.errors:
            self.stderr.write(error)
        if result.destroyed_keys:
            self.stdout.write("destroyed retired keys: " + ", ".join(result.destroyed_keys))
        if not result.finished:
            self.stderr.write(f"rotation not finished ({len(result.errors)} errors)")
            raise SystemExit(1)
        self.stdout.write("rotation finished with zero errors")
