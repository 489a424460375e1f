"""Import benchmark: 100,000 persons from CSV into a fresh SQLite registry.

Run by hand (not collected by pytest):

    python bench/bench_import.py [--rows 100000] [--skip-baseline] [--duplicates]

Prints the time of ``resettle import persons`` (validation, households, memberships,
history, one transaction, one audit event), of the same file imported again (idempotent:
nothing changes), and of django-import-export (``pip install django-import-export``) doing
the same person rows with its bulk mode. The baseline creates persons only (no
households, memberships, history or all-or-nothing validation report), so the ratio
flatters it.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

# the repository's own package, whatever copy happens to be installed
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LIMIT_SECONDS = 60.0
GIVEN = ["Hossein", "Maryam", "Ali", "Zahra", "Reza", "Fatemeh", "Mohammad", "Sara", "Abbas",
         "Leila", "Mehdi", "Narges", "Hamid", "Parisa", "Saeed", "Mina", "Javad", "Nasrin"]
FAMILY = ["Karimi", "Ahmadi", "Hosseini", "Rahimi", "Mohammadi", "Jafari", "Rezaei",
          "Moradi", "Sadeghi", "Ghasemi", "Bagheri", "Shirazi", "Tehrani", "Kazemi"]
GIVEN_FA = {"Hossein": "حسین", "Maryam": "مریم", "Ali": "علی", "Zahra": "زهرا"}
HEADER = ["registration_id", "household_id", "relationship", "given_name", "family_name",
          "given_name_original", "family_name_original", "sex", "date_of_birth", "nationality",
          "languages", "specific_needs", "phone", "document_number", "ties", "site"]


def write_file(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        n = 0
        h = 0
        while n < rows:
            h += 1
            size = min(rows - n, rng.choice([1, 2, 3, 4, 4, 5, 6]))
            family = rng.choice(FAMILY)
            for k in range(size):
                n += 1
                given = rng.choice(GIVEN)
                relationship = "principal" if k == 0 else ("spouse" if k == 1 else "child")
                year = rng.randint(1940, 2004) if k < 2 else rng.randint(2005, 2024)
                dob = rng.choice([f"{year}", f"{year}-{rng.randint(1, 12):02d}",
                                  f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"])
                writer.writerow([
                    f"B-{n:06d}", f"HB{h:06d}", relationship, given, family,
                    GIVEN_FA.get(given, ""), "", rng.choice("FM"), dob,
                    rng.choice(["IR", "IRN", "IQ"]), "fa;en" if k % 2 else "fa",
                    "SM" if n % 17 == 0 else "", f"'+964 7{n:09d}",
                    f"P{n:08d}" if n % 3 == 0 else "", "DE" if n % 11 == 0 else "", "",
                ])


def setup_django(data_dir: str) -> None:
    os.environ["RESETTLE_DATA_DIR"] = data_dir
    os.environ.pop("RESETTLE_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resettle.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from resettle.registry.models import Site

    Site.objects.create(name="Camp Bench", country="IQ")


def run_ours(path: Path, duplicates: bool) -> tuple[float, float, dict[str, int]]:
    """Wall-clock and CPU seconds (the machine is shared: CPU time shows our own cost)."""
    from resettle.registry.services import import_persons
    from resettle.registry.tabular import read_table

    start, cpu = time.perf_counter(), time.process_time()
    table = read_table(path.read_bytes(), path.name)
    plan = import_persons(actor=None, table=table, dry_run=False,
                          check_duplicates=duplicates, via="bench")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if plan.issues:
        raise SystemExit(f"bench file has problems: {plan.issues[:3]}")
    return elapsed, cpu, plan.counts()


def run_baseline(path: Path) -> tuple[float, float]:
    """django-import-export: a ModelResource over the same columns, bulk mode."""
    import tablib
    from import_export import fields, resources, widgets

    from resettle.registry.models import Person, Site

    site = Site.objects.get()

    class PersonResource(resources.ModelResource):  # type: ignore[misc]  # untyped library
        registration_id = fields.Field(attribute="registration_id",
                                       column_name="registration_id")
        date_of_birth = fields.Field(attribute="date_of_birth", column_name="date_of_birth",
                                     widget=widgets.CharWidget())

        class Meta:
            model = Person
            import_id_fields = ("registration_id",)
            fields = ("registration_id", "given_name", "family_name", "given_name_original",
                      "family_name_original", "sex", "date_of_birth", "nationality", "phone")
            use_bulk = True
            batch_size = 2000
            skip_unchanged = True
            use_transactions = True

        def before_import_row(self, row: dict[str, str], **kwargs: object) -> None:
            text = row["date_of_birth"]
            row["date_of_birth"] = (text + "-01-01")[:10] if len(text) == 4 else (
                (text + "-01")[:10] if len(text) == 7 else text)
            row["nationality"] = row["nationality"][:2]

        def before_save_instance(self, instance: Person, row: object, **kwargs: object) -> None:
            instance.site = site

    with path.open(encoding="utf-8") as handle:
        dataset = tablib.Dataset().load(handle.read(), format="csv")
    # a fresh table for the baseline: the persons ours created would all be "unchanged"
    from resettle.registry.models import Membership, PersonChange

    PersonChange.objects.all().delete()
    Membership.objects.all().delete()
    from resettle.casework.models import Document, StageChange

    Document.objects.all().delete()
    StageChange.objects.all().delete()
    Person.objects.all().delete()
    start, cpu = time.perf_counter(), time.process_time()
    result = PersonResource().import_data(dataset, dry_run=False, raise_errors=True)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if result.has_errors() or result.has_validation_errors():
        raise SystemExit("baseline import reported errors")
    if Person.objects.count() != len(dataset):
        raise SystemExit(f"baseline wrote {Person.objects.count()} of {len(dataset)} rows")
    return elapsed, cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--duplicates", action="store_true",
                        help="also run the likely-duplicates check during the import")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        path = Path(tmp) / "persons.csv"
        write_file(path, args.rows, args.seed)
        setup_django(str(Path(tmp) / "data"))
        ours, ours_cpu, counts = run_ours(path, args.duplicates)
        print(f"resettle import, {args.rows} rows: {ours:.1f} s wall, {ours_cpu:.1f} s CPU "
              f"({args.rows / ours:,.0f} rows/s) {counts}")
        again, again_cpu, counts2 = run_ours(path, duplicates=False)
        print(f"same file again (idempotent): {again:.1f} s wall, {again_cpu:.1f} s CPU "
              f"{counts2}")
        if counts2["created"] or counts2["updated"]:
            print("FAIL: the second import changed something")
            sys.exit(1)
        verdict = "OK" if ours <= LIMIT_SECONDS else "TOO SLOW (wall clock)"
        print(f"limit {LIMIT_SECONDS:.0f} s: {verdict}")
        if args.skip_baseline:
            return
        try:
            baseline, baseline_cpu = run_baseline(path)
        except ImportError:
            print("django-import-export is not installed: pip install django-import-export")
            return
        print(f"django-import-export (persons only, bulk): {baseline:.1f} s wall, "
              f"{baseline_cpu:.1f} s CPU")
        print(f"ratio django-import-export / resettle: {baseline / ours:.2f} wall, "
              f"{baseline_cpu / ours_cpu:.2f} CPU")


if __name__ == "__main__":
    main()
