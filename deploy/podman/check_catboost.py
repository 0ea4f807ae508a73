"""Run inside the image (the deployment test does): catboost trains and predicts through
ml, with plotly and matplotlib left out of the image, and without importing them."""

import importlib.util
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ml.data import load_dataset  # noqa: E402
from ml.train import train  # noqa: E402

missing = [name for name in ("plotly", "matplotlib") if importlib.util.find_spec(name)]
assert not missing, f"still in the image: {missing}"

frame, _ = load_dataset(Path(__file__).resolve().parents[2] / "ml" / "data" / "students.csv")
result = train(frame.head(400), seed=0, quick=True, candidates=["catboost"], n_jobs=1)
predictions = result.model.predict_point(frame.head(5))
assert result.algorithm and len(predictions) == 5, predictions
assert all(0 <= value <= 100 for value in predictions), predictions
loaded = sorted(name for name in ("plotly", "matplotlib") if name in sys.modules)
assert not loaded, loaded
print(f"catboost: trained {result.name}, test_r2={result.metrics['test_r2']:.3f}, predicted 5")
