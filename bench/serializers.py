"""The prediction API's serializers: a new instance per request against one shared one.

    python bench/serializers.py [--n 3000] [--rounds 5]

DRF deep-copies a serializer's declared fields for every new instance (each field is
rebuilt from its constructor arguments), which for the prediction answer's 26 fields and
its nested contributions, and the input's eight, costs more than validating or
representing one student. ``predictor.predictions.serializers`` therefore keeps one
instance of each and calls DRF's public ``run_validation`` / ``to_representation`` on it.
This measures both ways in one process, alternating round by round, and prints the
median microseconds per call and the shared/fresh ratio (STYLE rule 13: such a layer stays
only if it buys 20% or more; bench/compare_revisions.py gives the HTTP-level figure).
"""

from __future__ import annotations

import argparse
import statistics
import time

import common


def per_call_us(function, n: int) -> float:
    """Median microseconds of ``function()`` over ``n`` calls (after 50 to warm up)."""
    for _ in range(50):
        function()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="calls per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    args = parser.parse_args(argv)

    common.setup_django(common.scratch_database())
    from predictor.predictions import services
    from predictor.predictions.serializers import (
        PredictionInputSerializer,
        PredictionSerializer,
        prediction_data,
        prediction_input_validate,
    )

    student = common.students(1)[0]
    prediction = services.prediction_create(features=dict(student), channel="api")

    def fresh_input():
        serializer = PredictionInputSerializer(data=student)
        serializer.is_valid()

    variants = {
        "input": (fresh_input, lambda: prediction_input_validate(student)),
        "answer": (
            lambda: PredictionSerializer(prediction).data,
            lambda: prediction_data(prediction),
        ),
    }
    rows = []
    for name, (fresh, shared) in variants.items():
        fresh_us, shared_us = [], []
        for _ in range(args.rounds):
            fresh_us.append(per_call_us(fresh, args.n))
            shared_us.append(per_call_us(shared, args.n))
        ratios = [s / f for s, f in zip(shared_us, fresh_us, strict=True)]
        rows.append(
            [
                name,
                f"{statistics.median(fresh_us):.0f}",
                f"{statistics.median(shared_us):.0f}",
                f"{statistics.median(ratios):.2f}",
            ]
        )
    print(common.machine())
    print(common.table(["serializer", "fresh µs", "shared µs", "shared/fresh"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
