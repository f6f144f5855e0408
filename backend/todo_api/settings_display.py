"""What of the settings may be shown: configuration errors that name the variable and the rule
(never the value), and database URLs with their passwords masked."""

import re
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# `scheme://user:password@host`: the password, wherever a URL appears in a message.
_URL_PASSWORD = re.compile(r"(?P<user>[a-z][a-z0-9+.-]*://[^:/@\s]*):[^@\s]*@", re.IGNORECASE)


def mask_database_url(url: str) -> str:
    """The URL as it may be shown (logs, errors, the CLI): its password replaced by `***`."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # not parseable as a URL: mask what looks like a password anyway
        return _URL_PASSWORD.sub(r"\g<user>:***@", url)


_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


def without_pydantic_prefix(message: str) -> str:
    """pydantic prefixes what a validator raised with its own wording; readers need only ours."""
    for prefix in _PYDANTIC_PREFIXES:
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def describe_configuration_error(error: ValidationError) -> str:
    """One line per broken rule, naming the variable and the rule, never the value.

    pydantic's own text quotes the input (`input_value=...`): for a secret, or a
    DATABASE_URL with its password, that is the secret itself.
    """
    return "\n".join(_describe(error.errors(include_input=False, include_url=False)))


def _describe(errors: Iterable[Any]) -> Iterable[str]:
    for item in errors:
        variable = "_".join(str(part) for part in item["loc"]).upper()
        message = without_pydantic_prefix(str(item["msg"]))
        yield f"  {variable}: {message}" if variable else f"  {message}"
