"""The argument checks' messages (marshmallow's, always English) in the client's language.

The API's schemas leave their fields' messages to marshmallow; a problem names each refused field
with one of these, so a client that asks for Chinese (the default) reads Chinese. A message this table
does not know is passed on as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _

_EXACT: dict[str, Callable[[], str]] = {
    "Missing data for required field.": lambda: _("This value is required."),
    "Field may not be null.": lambda: _("This value may not be null."),
    "Invalid value.": lambda: _("This value cannot be used."),
    "Unknown field.": lambda: _("This field is not known here."),
    "Invalid input type.": lambda: _("The body must be a JSON object."),
    "Invalid type.": lambda: _("This value must be a JSON object."),
    "Not a valid string.": lambda: _("This value must be a text."),
    "Not a valid utf-8 string.": lambda: _("This value must be a text."),
    "Not a valid integer.": lambda: _("This value must be a whole number."),
    "Not a valid number.": lambda: _("This value must be a number."),
    "Number too large.": lambda: _("This number is too large."),
    "Not a valid boolean.": lambda: _("This value must be true or false."),
    "Not a valid datetime.": lambda: _("This value must be a date and time (ISO 8601)."),
    "Not a valid date.": lambda: _("This value must be a date (YYYY-MM-DD)."),
    "Not a valid mapping type.": lambda: _("This value must be a JSON object."),
    "Not a valid list.": lambda: _("This value must be a list."),
    "Not a valid URL.": lambda: _("This value must be a web address."),
    "Not a valid email address.": lambda: _("This value must be an e-mail address."),
    "String does not match expected pattern.": lambda: _("This value does not have the expected form."),
    "Invalid JSON body.": lambda: _("The body is not valid JSON."),
}
_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(r"Must be one of: (?P<choices>.*)\."),
        lambda m: _("Must be one of: %(choices)s.", **m.groupdict()),
    ),
    (
        re.compile(r"Length must be between (?P<low>\d+) and (?P<high>\d+)\."),
        lambda m: _("Between %(low)s and %(high)s characters or items.", **m.groupdict()),
    ),
    (
        re.compile(r"Longer than maximum length (?P<high>\d+)\."),
        lambda m: _("At most %(high)s characters or items.", **m.groupdict()),
    ),
    (
        re.compile(r"Shorter than minimum length (?P<low>\d+)\."),
        lambda m: _("At least %(low)s characters or items.", **m.groupdict()),
    ),
    (
        re.compile(
            r"Must be greater than or equal to (?P<low>\S+) and less than or equal to (?P<high>\S+)\."
        ),
        lambda m: _("Must be between %(low)s and %(high)s.", **m.groupdict()),
    ),
    (
        re.compile(r"Must be greater than or equal to (?P<low>\S+)\."),
        lambda m: _("Must be at least %(low)s.", **m.groupdict()),
    ),
    (
        re.compile(r"Must be less than or equal to (?P<high>\S+)\."),
        lambda m: _("Must be at most %(high)s.", **m.groupdict()),
    ),
)


def field_message(message: str) -> str:
    """`message` in the request's language where it is one of the checks' own."""
    exact = _EXACT.get(message)
    if exact is not None:
        return exact()
    for pattern, said in _PATTERNS:
        match = pattern.fullmatch(message)
        if match is not None:
            return said(match)
    return message
