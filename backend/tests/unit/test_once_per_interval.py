"""OncePerInterval: a client-caused warning reaches the log at most once per interval."""

import logging

from todo_api.logging_setup import OncePerInterval


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record(message: str, *args: object, level: int = logging.WARNING) -> logging.LogRecord:
    return logging.LogRecord("test", level, __file__, 1, message, args, None)


def test_one_warning_per_interval_and_the_next_counts_the_dropped() -> None:
    clock = Clock()
    throttle = OncePerInterval(interval_seconds=60, clock=clock)
    passed = [throttle.filter(record("refused: over %d bytes", 32768)) for _ in range(1000)]
    assert passed[0]
    assert passed.count(True) == 1

    clock.now = 59.9
    assert not throttle.filter(record("refused: over %d bytes", 32768))
    clock.now = 60.0
    later = record("refused: over %d bytes", 32768)
    assert throttle.filter(later)
    assert later.getMessage() == "refused: over 32768 bytes (1000 more since the last such line)"
    assert not throttle.filter(record("refused: over %d bytes", 1))
    clock.now = 120.0
    next_minute = record("refused: over %d bytes", 2)
    assert throttle.filter(next_minute)
    assert next_minute.getMessage() == "refused: over 2 bytes (1 more since the last such line)"


def test_each_message_has_its_own_allowance_and_other_levels_pass() -> None:
    throttle = OncePerInterval(interval_seconds=60, clock=Clock())
    assert throttle.filter(record("head refused"))
    assert throttle.filter(record("head incomplete"))
    assert not throttle.filter(record("head refused"))
    for level in (logging.DEBUG, logging.INFO, logging.ERROR, logging.CRITICAL):
        assert all(throttle.filter(record("head refused", level=level)) for _ in range(3))
