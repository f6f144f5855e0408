"""Reliability and hostile-input tests against real servers: outages, load, pooler safety,
fuzzing, retried creates, shutdown and the workers' log lines."""
