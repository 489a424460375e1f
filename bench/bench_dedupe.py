"""Duplicate scan of a generated registry: time, comparisons, precision and recall,
against splink (probabilistic record linkage, DuckDB backend) on the same records.

Run by hand:  python bench/bench_dedupe.py [--records 100000] [--seed 1] [--no-splink]

splink is not a dependency of resettle; install it for this bench only (pip install splink).
splink is given folded Latin names, the normalised original-script names, our phonetic
name keys for blocking (a generous start: plain splink would block on exact names),
date of birth, birth year, sex, document, phone and household, with the usual
configuration: u by random sampling, m by expectation maximisation, prediction at match
probability >= 0.5; we also print its best threshold on the truth, which a real user
would not know. It runs twice: with phone and household (expectation maximisation then
tends to learn "same household" rather than "same person": siblings score as matches) and
without them.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from resettle.core.dedupe import DEFAULT_THRESHOLD, PersonRecord, scan
from resettle.core.dedupe_generate import GeneratedSet, generate, precision_recall
from resettle.core.names import fold_latin, name_key, normalize_script


def _row(r: PersonRecord) -> dict[str, object]:
    b = r.birth
    exact = b is not None and not b.is_estimated
    digits = "".join(c for c in r.phone if c.isdigit())[-9:]
    doc = "".join(c for c in r.document_number.upper() if c.isalnum())
    return {
        "unique_id": r.key,
        "given": fold_latin(r.given_latin) or None,
        "family": fold_latin(r.family_latin) or None,
        "given_key": name_key(r.given_latin or r.given_original) or None,
        "family_key": name_key(r.family_latin or r.family_original) or None,
        "given_script": normalize_script(r.given_original).replace(" ", "") or None,
        "family_script": normalize_script(r.family_original).replace(" ", "") or None,
        "dob": f"{b.year:04d}-{b.month:02d}-{b.day:02d}"
        if exact and b and b.month and b.day
        else None,
        "birth_year": b.year if b else None,
        "sex": r.sex or None,
        "document": doc or None,
        "phone": digits or None,
        "household": r.household_key or None,
    }


def run_splink(
    gen: GeneratedSet, seed: int, context: bool
) -> tuple[float, float, float, float, float, float]:
    import pandas as pd
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    logging.getLogger("splink").setLevel(logging.ERROR)
    df = pd.DataFrame([_row(r) for r in gen.records])
    t0 = time.perf_counter()
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("given"),
            cl.NameComparison("family"),
            cl.ExactMatch("given_script"),
            cl.ExactMatch("family_script"),
            cl.ExactMatch("dob"),
            cl.AbsoluteDifferenceAtThresholds("birth_year", [1, 2])
            if hasattr(cl, "AbsoluteDifferenceAtThresholds")
            else cl.ExactMatch("birth_year"),
            cl.ExactMatch("sex"),
            cl.ExactMatch("document"),
            *([cl.ExactMatch("phone"), cl.ExactMatch("household")] if context else []),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("family_key", "birth_year"),
            block_on("given_key", "birth_year"),
            block_on("family_key", "given_key"),
            block_on("document"),
            block_on("phone"),
            block_on("family_script", "given_script"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db = DuckDBAPI()
    sdf = db.register(df)
    linker = Linker(sdf, settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("document"), block_on("family", "given", "dob")], recall=0.6
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("family_key", "given_key"), record_sample_proportion=1.0
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"), record_sample_proportion=1.0
    )
    preds = linker.inference.predict(threshold_match_probability=0.01).as_pandas_dataframe()
    elapsed = time.perf_counter() - t0
    pairs = [
        (str(a), str(b), float(p))
        for a, b, p in zip(
            preds["unique_id_l"], preds["unique_id_r"], preds["match_probability"], strict=True
        )
    ]
    at_half = [(a, b) for a, b, p in pairs if p >= 0.5]
    p50, r50 = precision_recall(at_half, gen.true_pairs)
    best = (0.0, 0.0, 0.0, 0.5)
    for th in (0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999):
        pr, rc = precision_recall([(a, b) for a, b, p in pairs if p >= th], gen.true_pairs)
        f1 = 2 * pr * rc / (pr + rc) if pr + rc else 0.0
        if f1 > best[0]:
            best = (f1, pr, rc, th)
    return elapsed, p50, r50, best[1], best[2], best[3]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-splink", action="store_true")
    args = ap.parse_args()

    t0 = time.perf_counter()
    gen = generate(args.records, seed=args.seed)
    t_gen = time.perf_counter() - t0
    print(
        f"generated {len(gen.records):,} records with {len(gen.true_pairs):,} true duplicate "
        f"pairs in {t_gen:.1f} s (seed {args.seed})"
    )

    t0 = time.perf_counter()
    result = scan(gen.records)
    t_ours = time.perf_counter() - t0
    p, r = precision_recall(result.pairs, gen.true_pairs)
    s = result.stats
    print(
        f"resettle.core.dedupe: {t_ours:.1f} s, {s.comparisons:,} comparisons "
        f"({s.comparisons / s.all_pairs:.5%} of all {s.all_pairs:,} pairs), "
        f"{s.skipped_blocks} oversized blocks skipped; threshold {DEFAULT_THRESHOLD}: "
        f"{len(result.pairs):,} pairs, precision {p:.4f}, recall {r:.4f}"
    )
    print(
        f"  target: < 120 s -> {'ok' if t_ours < 120 else 'MISSED'}; "
        f"precision and recall >= 0.95 -> {'ok' if min(p, r) >= 0.95 else 'MISSED'}"
    )

    if args.no_splink:
        return
    try:
        import splink  # noqa: F401
    except ImportError:
        print("splink is not installed (pip install splink): baseline skipped")
        return
    for context in (True, False):
        t_spl, p50, r50, pb, rb, thb = run_splink(gen, args.seed, context)
        label = "with phone + household" if context else "without phone + household"
        print(
            f"splink (DuckDB, {label}): {t_spl:.1f} s (training + prediction); at match "
            f"probability 0.5: precision {p50:.4f}, recall {r50:.4f}; best threshold on the "
            f"truth ({thb}): precision {pb:.4f}, recall {rb:.4f}"
        )
        print(f"  time ratio resettle / splink: {t_ours / t_spl:.2f}")


if __name__ == "__main__":
    main()
