"""Query parameter types that accept only the spelling the spec gives, nothing pydantic's
lax mode would also take (`yes`, `1`, `on` for a boolean; `+5`, `1_0`, ` 5` for a number).

They check the raw string first and then let pydantic convert it, so the published
parameter types stay `boolean` and `integer`.
"""

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
