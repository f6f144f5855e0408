"""Query values spelled only as the spec gives them, not as pydantic's lax mode also takes
(`yes`, `1` for a boolean; `+5`, `1_0` for a number): the raw string is checked, then pydantic
converts it, so the published types stay `boolean` and `integer`."""

from pydantic import BeforeValidator


def _true_or_false(value: object) -> object:
    if value == "true" or value == "false":
        return value
    raise ValueError("must be true or false")


def _decimal_digits(value: object) -> object:
    if isinstance(value, str) and value.isascii() and value.isdecimal():
        return value
    raise ValueError("must be written with the digits 0-9 only")


# Used as `Annotated[int, Query(...), DECIMAL_DIGITS]`: beside the Query, not nested in an
# inner Annotated, or FastAPI publishes `ge`/`le` instead of `minimum`/`maximum`.
TRUE_OR_FALSE = BeforeValidator(_true_or_false)
DECIMAL_DIGITS = BeforeValidator(_decimal_digits)
