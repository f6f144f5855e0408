"""Load benchmark of the task API against a raw-driver baseline: `python -m benchmarks.run`."""
