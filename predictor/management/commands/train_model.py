"""``python manage.py train_model``: train, register and (when it earns it) promote a model."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ml import schema
from ml.candidates import CANDIDATES_BY_NAME
from ml.conformal import CONDITIONAL
from ml.data import load_dataset
from ml.errors import DataError
from ml.train import feature_policy, train
from predictor.models import ModelVersion
from predictor.registry.services import model_version_register

DEFAULT_DATA = Path(settings.BASE_DIR) / "ml" / "data" / "students.csv"
# Served intervals are group-conditional (issue 14): 90% within every group of gender,
# race/ethnicity group, lunch and test preparation, not only on average over all students
# (ml.conditional; the Mondrian max rule over-covered some groups, bench/conformal.py).
INTERVAL_METHOD = CONDITIONAL


class Command(BaseCommand):
    help = (
        "Train on a CSV of students (default: the bundled data set), print the leaderboard "
        "and held-out metrics, register a model version and promote it when none is in "
        "production or when it beats production on the same held-out rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", default=str(DEFAULT_DATA), help="CSV file to train on")
        parser.add_argument(
            "--quick", action="store_true", help="3-fold CV over small grids (seconds, not minutes)"
        )
        parser.add_argument("--seed", type=int, default=42, help="random seed (split, CV, models)")
        parser.add_argument(
            "--no-promote", action="store_true", help="register as a candidate only"
        )
        parser.add_argument(
            "--if-none",
            action="store_true",
            help="do nothing when a version is already in production (used by `make run`)",
        )
        parser.add_argument(
            "--candidates",
            default="",
            help=f"comma-separated subset of: {', '.join(CANDIDATES_BY_NAME)}",
        )
        parser.add_argument("--jobs", type=int, default=-1, help="parallel CV fits (-1: all cores)")
        parser.add_argument(
            "--exclude-features",
            default="",
            help=(
                "comma-separated features to train without (requests still send all seven); "
                f"valid names: {', '.join(schema.FEATURE_NAMES)}"
            ),
        )

    def handle(self, *args, **options):
        if options["if_none"] and ModelVersion.objects.production().exists():
            self.stdout.write("A model version is already in production; nothing to do.")
            return
        if not 0 <= options["seed"] < 2**32:
            raise CommandError(f"--seed must be between 0 and {2**32 - 1}")
        if options["jobs"] == 0 or options["jobs"] < -1:
            raise CommandError("--jobs must be a positive number of processes, or -1 for all cores")
        candidates = [c.strip() for c in options["candidates"].split(",") if c.strip()]
        unknown = [c for c in candidates if c not in CANDIDATES_BY_NAME]
        if unknown:
            raise CommandError(
                f"unknown candidate '{unknown[0]}'; choose from {', '.join(CANDIDATES_BY_NAME)}"
            )
        excluded = [f.strip() for f in options["exclude_features"].split(",") if f.strip()]
        try:
            features = feature_policy(excluded)
        except DataError as exc:
            raise CommandError(f"--exclude-features: {exc}") from None
        try:
            frame, report = load_dataset(options["data"])
        except DataError as exc:
            raise CommandError(f"cannot train on {options['data']}: {exc}") from None
        self.stdout.write(f"Data: {options['data']}: {report.summary()}")
        mode = "quick search" if options["quick"] else "full search"
        self.stdout.write(f"Training ({mode}, seed {options['seed']})…")
        if excluded:
            self.stdout.write(
                f"Without {', '.join(excluded)}: the model uses {', '.join(features)}."
            )
        try:
            result = train(
                frame,
                seed=options["seed"],
                quick=options["quick"],
                candidates=candidates or None,
                n_jobs=options["jobs"],
                progress=lambda line: self.stdout.write(f"  {line}"),
                exclude_features=excluded,
                interval_method=INTERVAL_METHOD,
            )
        except ValueError as exc:
            raise CommandError(f"cannot train on {options['data']}: {exc}") from None
        self._print_leaderboard(result)
        version, promoted, reason = model_version_register(
            result=result,
            data_source=options["data"],
            data_report=report.as_dict(),
            promote=not options["no_promote"],
            actor_label="train_model",
        )
        state = "promoted to production" if promoted else "kept as a candidate"
        self.stdout.write(self.style.SUCCESS(f"Registered v{version.version}: {state} ({reason})."))

    def _print_leaderboard(self, result):
        self.stdout.write("")
        self.stdout.write(f"{'rank':<5}{'candidate':<15}{'CV R² mean':>11}{'± SD':>8}  params")
        for rank, row in enumerate(result.leaderboard, start=1):
            params = ", ".join(f"{k}={v}" for k, v in row["params"].items())
            scores = f"{row['cv_r2_mean']:>11.4f}{row['cv_r2_std']:>8.4f}"
            self.stdout.write(f"{rank:<5}{row['name']:<15}{scores}  {params}")
        m = result.metrics
        self.stdout.write("")
        self.stdout.write(
            f"Held-out ({result.rows['test']} rows, scored once): R² {m['test_r2']:.4f}, "
            f"MAE {m['test_mae']:.2f}, RMSE {m['test_rmse']:.2f}; "
            f"90% interval coverage {m['interval_coverage']:.3f}, "
            f"mean width {m['interval_width']:.1f} points "
            f"({result.interval_calibration.get('method', 'marginal')} intervals)"
        )
        self._print_group_coverage(result)
        self.stdout.write(f"Training took {result.training_seconds:.1f} s.")

    def _print_group_coverage(self, result):
        """Held-out count, MAE, bias and coverage per protected group (fairness report)."""
        groups = (result.fairness or {}).get("model", {}).get("groups", {})
        if not groups:
            return
        self.stdout.write("Held-out by group (bias = predicted − actual, points):")
        for attribute, rows in groups.items():
            cells = [
                f"{r['group']} n={r['count']} MAE {r['mae']['estimate']:.2f} "
                f"bias {r['bias']['estimate']:+.2f} coverage {r['coverage']['estimate']:.3f}"
                for r in rows
            ]
            self.stdout.write(f"  {attribute}: " + "; ".join(cells))
