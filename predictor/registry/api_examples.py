"""Worked examples for the model registry API's OpenAPI documentation (``api.py``), from
a real quick-trained version; the card's per-group lists keep their first entry."""

MODEL_VERSION = {
    "version": 3,
    "status": "production",
    "name": "ridge",
    "algorithm": "Ridge regression",
    "created_at": "2026-11-30T09:12:44Z",
    "params": {"alpha": 1.0},
    "metrics": {
        "test_r2": 0.87,
        "test_mae": 4.353,
        "test_rmse": 5.35,
        "cv_r2_mean": 0.874,
        "cv_r2_std": 0.011,
        "interval_level": 0.9,
        "interval_half_width": 8.904,
        "interval_coverage": 0.92,
        "interval_width": 18.364,
        "live": {"served": 1240, "n": 287, "mae": 4.41, "rmse": 5.52, "r2": 0.861, "coverage": 0.9},
    },
    "leaderboard": [
        {
            "name": "ridge",
            "algorithm": "Ridge regression",
            "params": {"alpha": 1.0},
            "cv_r2_mean": 0.874,
            "cv_r2_std": 0.011,
            "cv_mae_mean": 4.205,
            "n_splits": 3,
            "search_seconds": 0.24,
        }
    ],
    "rows": {"total": 1000, "train": 800, "test": 200},
    "data_fingerprint": "0f390e2846d246c8177a5e51f9aa4ab20cf9543925ec616e60fbb2a212802edf",
    "library_versions": {
        "python": "3.11.7",
        "numpy": "2.4.6",
        "scipy": "1.17.1",
        "pandas": "3.1.1",
        "scikit-learn": "1.9.1",
        "catboost": "1.2.10",
        "xgboost": "3.2.0",
        "joblib": "1.6.0",
    },
    "training_seconds": 1.27,
    "artifact_sha256": "900dad59e43bd69e12fae52e3e21c2462eb8440ec46a3d3af3fe092b36f4b950",
}

# The card: the list's fields and these.
MODEL_VERSION_DETAIL = {
    **MODEL_VERSION,
    **{
        "features": [
            "gender",
            "race_ethnicity",
            "parental_level_of_education",
            "lunch",
            "test_preparation_course",
            "reading_score",
            "writing_score",
        ],
        "interval_calibration": {
            "method": "mondrian",
            "level": 0.9,
            "half_width": 8.904,
            "mondrian": {
                "level": 0.9,
                "marginal_half_width": 8.904,
                "min_group_size": 30,
                "method": "mondrian",
                "groups": {
                    "gender": [
                        {"group": "female", "count": 408, "half_width": 9.017, "fallback": False}
                    ],
                    "race_ethnicity": [
                        {"group": "group A", "count": 69, "half_width": 8.405, "fallback": False}
                    ],
                    "lunch": [
                        {
                            "group": "free/reduced",
                            "count": 283,
                            "half_width": 8.547,
                            "fallback": False,
                        }
                    ],
                },
            },
            "holdout": {
                "marginal": {"interval_coverage": 0.91, "interval_width": 17.678},
                "mondrian": {"interval_coverage": 0.92, "interval_width": 18.364},
            },
        },
        "fairness": {
            "version": 1,
            "level": 0.9,
            "interval_method": "mondrian",
            "sign_convention": "bias is the mean of predicted minus actual math score, "
            "in points: positive means the model over-predicts the "
            "group (predicts higher scores than the students got), "
            "negative means it under-predicts",
            "protected_attributes": ["gender", "race_ethnicity", "lunch"],
            "features": [
                "gender",
                "race_ethnicity",
                "parental_level_of_education",
                "lunch",
                "test_preparation_course",
                "reading_score",
                "writing_score",
            ],
            "rows": 200,
            "bootstrap": {
                "resamples": 1000,
                "confidence": 0.95,
                "seed": 42,
                "method": "percentile; rows resampled within each group",
            },
            "thresholds": {
                "bias_points": 2.0,
                "bias_change_points": 1.0,
                "mae_points": 0.5,
                "coverage_floor": 0.83,
                "min_count": 30,
            },
            "model": {
                "overall": {
                    "count": 200,
                    "mae": 4.353,
                    "rmse": 5.35,
                    "r2": 0.87,
                    "bias": 0.405,
                    "coverage": 0.92,
                    "width": 18.364,
                },
                "groups": {
                    "gender": [
                        {
                            "group": "female",
                            "count": 110,
                            "mae": {"estimate": 4.318, "low": 3.745, "high": 4.95},
                            "bias": {"estimate": 1.175, "low": 0.252, "high": 2.085},
                            "coverage": {"estimate": 0.909, "low": 0.845, "high": 0.955},
                        }
                    ],
                    "race_ethnicity": [
                        {
                            "group": "group A",
                            "count": 20,
                            "mae": {"estimate": 4.369, "low": 2.999, "high": 5.882},
                            "bias": {"estimate": 0.591, "low": -1.913, "high": 2.818},
                            "coverage": {"estimate": 0.95, "low": 0.85, "high": 1.0},
                        }
                    ],
                    "lunch": [
                        {
                            "group": "standard",
                            "count": 128,
                            "mae": {"estimate": 4.679, "low": 4.122, "high": 5.236},
                            "bias": {"estimate": 0.27, "low": -0.649, "high": 1.262},
                            "coverage": {"estimate": 0.883, "low": 0.82, "high": 0.938},
                        }
                    ],
                },
            },
            "without": {
                "gender": {
                    "overall": {
                        "count": 200,
                        "mae": 6.803,
                        "rmse": 8.239,
                        "r2": 0.692,
                        "bias": 0.857,
                        "coverage": 0.9,
                        "width": 26.759,
                    },
                    "groups": {
                        "gender": [
                            {
                                "group": "female",
                                "count": 110,
                                "mae": {"estimate": 6.962, "low": 6.103, "high": 7.846},
                                "bias": {"estimate": 6.054, "low": 5.015, "high": 7.126},
                                "coverage": {"estimate": 0.9, "low": 0.836, "high": 0.945},
                            }
                        ],
                        "race_ethnicity": [
                            {
                                "group": "group A",
                                "count": 20,
                                "mae": {"estimate": 5.309, "low": 3.76, "high": 7.121},
                                "bias": {"estimate": -0.223, "low": -3.146, "high": 2.559},
                                "coverage": {"estimate": 0.95, "low": 0.85, "high": 1.0},
                            }
                        ],
                        "lunch": [
                            {
                                "group": "standard",
                                "count": 128,
                                "mae": {"estimate": 7.023, "low": 6.199, "high": 7.862},
                                "bias": {"estimate": 0.659, "low": -0.761, "high": 2.15},
                                "coverage": {"estimate": 0.883, "low": 0.828, "high": 0.938},
                            }
                        ],
                    },
                    "features": [
                        "race_ethnicity",
                        "parental_level_of_education",
                        "lunch",
                        "test_preparation_course",
                        "reading_score",
                        "writing_score",
                    ],
                },
                "race_ethnicity": {
                    "overall": {
                        "count": 200,
                        "mae": 4.55,
                        "rmse": 5.654,
                        "r2": 0.855,
                        "bias": 0.45,
                        "coverage": 0.925,
                        "width": 18.586,
                    },
                    "groups": {
                        "gender": [
                            {
                                "group": "female",
                                "count": 110,
                                "mae": {"estimate": 4.527, "low": 3.97, "high": 5.196},
                                "bias": {"estimate": 1.296, "low": 0.306, "high": 2.304},
                                "coverage": {"estimate": 0.927, "low": 0.873, "high": 0.973},
                            }
                        ],
                        "race_ethnicity": [
                            {
                                "group": "group A",
                                "count": 20,
                                "mae": {"estimate": 4.549, "low": 3.213, "high": 6.02},
                                "bias": {"estimate": 1.559, "low": -0.926, "high": 3.748},
                                "coverage": {"estimate": 0.95, "low": 0.85, "high": 1.0},
                            }
                        ],
                        "lunch": [
                            {
                                "group": "standard",
                                "count": 128,
                                "mae": {"estimate": 4.982, "low": 4.361, "high": 5.6},
                                "bias": {"estimate": 0.337, "low": -0.675, "high": 1.424},
                                "coverage": {"estimate": 0.891, "low": 0.836, "high": 0.938},
                            }
                        ],
                    },
                    "features": [
                        "gender",
                        "parental_level_of_education",
                        "lunch",
                        "test_preparation_course",
                        "reading_score",
                        "writing_score",
                    ],
                },
                "lunch": {
                    "overall": {
                        "count": 200,
                        "mae": 4.528,
                        "rmse": 5.577,
                        "r2": 0.859,
                        "bias": 0.411,
                        "coverage": 0.93,
                        "width": 19.33,
                    },
                    "groups": {
                        "gender": [
                            {
                                "group": "female",
                                "count": 110,
                                "mae": {"estimate": 4.367, "low": 3.767, "high": 4.987},
                                "bias": {"estimate": 1.124, "low": 0.187, "high": 2.072},
                                "coverage": {"estimate": 0.936, "low": 0.882, "high": 0.982},
                            }
                        ],
                        "race_ethnicity": [
                            {
                                "group": "group A",
                                "count": 20,
                                "mae": {"estimate": 4.722, "low": 3.394, "high": 6.16},
                                "bias": {"estimate": 0.103, "low": -2.428, "high": 2.495},
                                "coverage": {"estimate": 0.95, "low": 0.85, "high": 1.0},
                            }
                        ],
                        "lunch": [
                            {
                                "group": "standard",
                                "count": 128,
                                "mae": {"estimate": 4.681, "low": 4.103, "high": 5.265},
                                "bias": {"estimate": -0.753, "low": -1.701, "high": 0.273},
                                "coverage": {"estimate": 0.906, "low": 0.852, "high": 0.953},
                            }
                        ],
                    },
                    "features": [
                        "gender",
                        "race_ethnicity",
                        "parental_level_of_education",
                        "test_preparation_course",
                        "reading_score",
                        "writing_score",
                    ],
                },
            },
            "sentences": [
                "Without gender, the model would over-predict the math "
                "scores of female students by about 6 points (with it: "
                "+1.2).",
                "Without gender, the model would under-predict the math "
                "scores of male students by about 5 points (with it: -0.5).",
                "Without gender, the typical error would rise from 4.4 to "
                "6.8 points (R² 0.87 → 0.69).",
                "Without lunch, the model would over-predict the math scores "
                "of students with free/reduced lunch by about 2 points (with "
                "it: +0.6).",
            ],
        },
        "subgroup_errors": {
            "groups": {
                "gender": [{"value": "female", "n": 110, "mae": 4.318, "mean_signed_error": 1.175}]
            },
            "largest_gap": {
                "feature": "parental_level_of_education",
                "high": "some high school",
                "low": "bachelor's degree",
                "mae_gap": 2.396,
            },
        },
        "data_source": "/work/wt-apidocs/ml/data/students.csv",
        "seed": 42,
        "quick": True,
        "events": [
            {
                "created_at": "2026-11-30T09:20:03Z",
                "action": "promote",
                "previous_production": 2,
                "actor": "ana",
                "reason": "beats v2 on the same held-out rows",
            }
        ],
    },
}
