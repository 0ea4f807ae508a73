"""``python manage.py monitor_report``: the dashboard's verdicts as text or JSON, for cron."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from ml import drift
from predictor.monitoring import selectors as monitoring
from predictor.monitoring import services as monitoring_services
from predictor.monitoring import windows
from predictor.monitoring.verdict import verdict

ALERT_EXIT_CODE = 2


class Command(BaseCommand):
    help = (
        "Print the verdict (what the figures mean and what to do), traffic, latency, input "
        "drift, prediction drift and live accuracy for a window, as on /admin/monitoring/. "
        "Exits with status 2 when something crosses an alert line: no model can serve, the "
        "data set drifts (half or more of the features with p < 0.05 and PSI >= 0.1), a "
        "feature's or the predictions' PSI reaches 0.25, or the production version's live "
        "MAE exceeds 1.5 × its held-out MAE with at least 30 real scores. Exits 0 otherwise, "
        "1 on bad usage."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--window",
            default=windows.DEFAULT_WINDOW,
            help=f"one of: {', '.join(windows.WINDOWS)} (default {windows.DEFAULT_WINDOW})",
        )
        parser.add_argument("--json", action="store_true", help="print the full report as JSON")
        parser.add_argument(
            "--record",
            action="store_true",
            help="store the report's alerts, with the time, for the dashboard (the schedule)",
        )

    def handle(self, *args, **options):
        try:
            window = windows.window_from(options["window"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        report = monitoring.report(window=window)
        if options["record"]:
            monitoring_services.monitoring_report_record(report=report)
        if options["json"]:
            self.stdout.write(
                json.dumps({**report, "verdict": verdict(report)}, indent=2, ensure_ascii=False)
            )
        else:
            self._print(report)
        if report["alerts"]:
            raise CommandError(
                f"{len(report['alerts'])} alert(s): " + "; ".join(report["alerts"]),
                returncode=ALERT_EXIT_CODE,
            )

    def _print(self, report: dict) -> None:
        out = self.stdout.write
        window, traffic, latency = report["window"], report["traffic"], report["latency"]
        production = report["production"]
        out(f"Monitoring report, {window['label']} (to {window['until'][:16]} UTC)")
        found = verdict(report)
        out(f"Verdict ({found['level']}): {found['text']}")
        out(
            f"Production: v{production['version']} {production['name']}"
            if production
            else "Production: none (run `python manage.py train_model`)"
        )
        out(
            f"Traffic: {traffic['total']} attempts; scored {traffic['by_status']['ok']}, "
            f"rejected {_pct(traffic['rejection_rate'])}, failed {_pct(traffic['failure_rate'])}"
        )
        reasons = ", ".join(f"{r['field']} {r['n']}" for r in report["rejection_reasons"])
        if reasons:
            out(f"Rejection reasons: {reasons}")
        out(
            "Latency (ms): "
            + ", ".join(
                f"{k} {monitoring.milliseconds_text(latency[k]) or '-'}"
                for k in ("p50", "p95", "p99")
            )
        )
        features = report["drift"]
        if features:
            out(
                f"Input drift vs v{features['version']} training data: "
                f"{features['verdict'].upper()} ({features['n_drifted']} of "
                f"{len(features['features'])} features, {features['n_live']} live rows)"
            )
            out(f"  {'feature':<30}{'test':<21}{'stat':>8}{'p':>9}{'PSI':>8}  status")
            for row in features["features"]:
                out(
                    f"  {row['feature']:<30}{row['test']:<21}{_num(row['statistic'], 3):>8}"
                    f"{_p(row['p_value']):>9}{_num(row['psi'], 3):>8}  "
                    + drift.feature_status(row["p_value"], row["psi"])
                )
        predictions = report["prediction_drift"]
        if predictions:
            out(
                f"Predictions vs held-out: {predictions['verdict']}, K-S D "
                f"{_num(predictions['statistic'], 3)} p {_p(predictions['p_value'])}, PSI "
                f"{_num(predictions['psi'], 3)} ({predictions['psi_level'] or 'n/a'})"
            )
        out(
            "Live accuracy (alert: live MAE > "
            f"{drift.ACCURACY_ALERT_RATIO} x held-out MAE, >= {drift.MIN_OUTCOMES} real scores):"
        )
        for item in report["versions"]:
            live, test = item["live"], item["test"]
            out(
                f"  v{item['version']} ({item['status']}): {live['served']} scored, "
                f"{live['n']} real scores; MAE {_num(live['mae'])} vs {_num(test['mae'])}, "
                f"RMSE {_num(live['rmse'])} vs {_num(test['rmse'])}, "
                f"R² {_num(live['r2'], 3)} vs {_num(test['r2'], 3)}, "
                f"coverage {_pct(live['coverage'])} vs {_pct(test['coverage'])}"
                + ("  ALERT" if item["accuracy_alert"] else "")
            )
        if report["alerts"]:
            out("ALERTS:")
            for alert in report["alerts"]:
                out(f"  - {alert}")
        else:
            out("No alert.")


def _num(value, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _pct(value) -> str:
    if value is None:
        return "-"
    # One failure in thousands is not 0.0%.
    return "<0.1%" if 0 < value < 0.0005 else f"{value:.1%}"


def _p(value) -> str:
    if value is None:
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"
