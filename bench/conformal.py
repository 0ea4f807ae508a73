"""Per-group coverage of the 90% intervals over many resplits: marginal, Mondrian, conditional.

For each seed the data is split as ``ml.train`` splits it (80/20, stratified), a ridge
model (alpha 1, for speed; the search is not what is measured) is fitted and calibrated
by ``ml.train.fit_calibrated`` exactly as training does, and every held-out row gets both
intervals from the same out-of-fold residuals: marginal (one half-width), Mondrian (the
max rule of ``ml.conformal``) and conditional (Gibbs, Cherian & Candès 2023,
``ml.conditional``, which ``train_model`` serves). Coverage is then counted within every
group of every categorical feature (the protected attributes gender, race_ethnicity and
lunch, which both group methods calibrate on; test preparation, which the conditional
method also calibrates on; parental education, which neither does), and for rows flagged
as unusual (``ml.unusual``) versus the rest.

    .venv/bin/python bench/conformal.py [--data CSV] [--seeds 50] [--json out.json]

Prints, per group: mean held-out rows per split, coverage mean and SD over the splits for
each method, coverage on the first seed's single split, and mean interval width. The
flagged rows are pooled over all splits (a split holds only a couple of them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ml import schema  # noqa: E402
from ml.candidates import CANDIDATES_BY_NAME  # noqa: E402
from ml.data import load_dataset  # noqa: E402
from ml.fairness import DEFAULT_PROTECTED  # noqa: E402
from ml.train import fit_calibrated, split  # noqa: E402

METHODS = ("marginal", "mondrian", "conditional")


def one_split(frame, seed: int) -> dict:
    """Coverage flags per method, widths, and unusual flags for one resplit's held-out rows."""
    train_part, test_part = split(frame, seed=seed)
    model = fit_calibrated(
        CANDIDATES_BY_NAME["ridge"],
        {"alpha": 1.0},
        train_part,
        features=list(schema.FEATURE_NAMES),
        protected_attributes=DEFAULT_PROTECTED,
        interval_method="conditional",
        seed=seed,
        n_jobs=1,
    )
    actual = test_part[schema.TARGET].to_numpy(dtype=float)
    point = model.predict_point(test_part)
    half = {
        "marginal": np.full(len(test_part), model.interval_half_width),
        "mondrian": model.mondrian.half_width_rows(test_part),
        "conditional": model.conditional.half_width_rows(test_part),
    }
    inside, width = {}, {}
    for method, h in half.items():
        low = np.clip(point - h, schema.SCORE_MIN, schema.SCORE_MAX)
        high = np.clip(point + h, schema.SCORE_MIN, schema.SCORE_MAX)
        inside[method] = (actual >= low) & (actual <= high)
        width[method] = high - low
    flags, _ = model.flag_unusual(test_part)
    return {"test": test_part, "inside": inside, "width": width, "flags": flags}


def summarise(results: list[dict]) -> dict:
    """Per (feature, group): rows per split, coverage mean/SD/first split, mean width."""
    table = {}
    for name in ("all", *schema.CATEGORICAL_FEATURES):
        groups = ["all"] if name == "all" else schema.FEATURES_BY_NAME[name].choices
        for group in groups:
            row = {"rows": [], **{m: [] for m in METHODS}, **{f"{m}_width": [] for m in METHODS}}
            for r in results:
                test = r["test"]
                mask = (
                    np.ones(len(test), bool) if name == "all" else (test[name] == group).to_numpy()
                )
                if not mask.any():
                    continue
                row["rows"].append(int(mask.sum()))
                for m in METHODS:
                    row[m].append(float(r["inside"][m][mask].mean()))
                    row[f"{m}_width"].append(float(r["width"][m][mask].mean()))
            table[f"{name}={group}" if name != "all" else "all"] = {
                "rows_per_split": float(np.mean(row["rows"])),
                **{
                    m: {
                        "mean": float(np.mean(row[m])),
                        "sd": float(np.std(row[m], ddof=1)) if len(row[m]) > 1 else 0.0,
                        "first_split": row[m][0],
                        "width": float(np.mean(row[f"{m}_width"])),
                    }
                    for m in METHODS
                },
            }
    flagged = {}
    for label, pick in (("flagged", True), ("unflagged", False)):
        masks = [r["flags"] == pick for r in results]
        n = int(sum(m.sum() for m in masks))
        flagged[label] = {
            "rows": n,
            **{
                m: float(
                    sum(r["inside"][m][k].sum() for r, k in zip(results, masks, strict=True)) / n
                )
                if n
                else None
                for m in METHODS
            },
        }
    return {"groups": table, "unusual": flagged}


def print_table(summary: dict, seeds: int, data: str) -> None:
    print(f"{data}: {seeds} resplits, ridge (alpha 1), nominal coverage 0.90")
    print(
        f"{'group':<46}{'rows':>6}"
        + "".join(f"  {m + ' mean±sd':>22} {'split1':>6}" for m in METHODS)
        + f"  {'width ma/mo/co':>16}"
    )
    for key, row in summary["groups"].items():
        cells = "".join(
            f"  {row[m]['mean']:>14.3f} ± {row[m]['sd']:.3f} {row[m]['first_split']:>6.3f}"
            for m in METHODS
        )
        widths = "/".join(f"{row[m]['width']:.1f}" for m in METHODS)
        print(f"{key:<46}{row['rows_per_split']:>6.1f}{cells}  {widths:>16}")
    for label, row in summary["unusual"].items():
        shown = "  ".join(f"{m} {row[m]:.3f}" if row[m] is not None else f"{m} -" for m in METHODS)
        print(f"{label} rows (pooled over splits): {row['rows']}  coverage {shown}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(ROOT / "ml" / "data" / "students.csv"))
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--json", help="also write the summary as JSON to this path")
    args = parser.parse_args(argv)
    frame, report = load_dataset(args.data)
    started = time.perf_counter()
    results = [one_split(frame, seed) for seed in range(args.seeds)]
    summary = summarise(results)
    print_table(summary, args.seeds, args.data)
    print(f"({report.summary()}; {time.perf_counter() - started:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
