"""Machine-learning code for studentperf (no Django imports)."""
