"""Reliability and hostile-input tests: outages, concurrency, load, fuzzing, logs, shutdown."""
