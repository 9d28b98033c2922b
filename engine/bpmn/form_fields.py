"""Form fields as the diagram declares them (camunda:formData), and server-side validation of input.

The web layer renders these definitions and shows the errors; the rules live here so every way of
completing a task (web, CLI, tests) is checked the same way.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine.clock import DEFAULT_TIME_ZONE
from engine.errors import HotlineError

FIELD_TYPES = ("string", "long", "boolean", "date", "datetime", "enum", "signature")
# Enums whose values are reference data an administrator keeps, not values written in the diagram.
REFERENCE_KINDS = ("category", "department", "case_source")
DEFAULT_ZONE = ZoneInfo(DEFAULT_TIME_ZONE)
KNOWN_CONSTRAINTS = ("required", "readonly", "minlength", "maxlength", "min", "max", "pattern")
# A drawn signature arrives as the data URL a canvas makes; a signature pad's PNG is a few tens of KB.
SIGNATURE_PREFIX = "data:image/png;base64,"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 256 * 1024
# Property `personal` of a form field: the field holds a customer's personal data, masked as its kind
# for roles that do not see personal data, and every unmasked view of it is recorded (C7, M6).
PERSONAL_KINDS = ("phone", "name", "address", "text")
# Longest text a field takes unless its diagram asks for less (maxlength): a line, a text area. A
# diagram may lower these, never raise them; names and labels in a diagram are kept to MAX_NAME_LENGTH.
MAX_TEXT_LENGTH = 2000
MAX_MULTILINE_LENGTH = 10000
MAX_NAME_LENGTH = 200
# Dates and times a form takes: outside these years a value is a typing mistake (and year 1 or 9999
# with an offset does not even convert to local time).
FIRST_YEAR, LAST_YEAR = 1900, 2200
# A whole number a form takes, whatever the diagram says: what a 64-bit column and JSON keep exactly.
LARGEST_WHOLE_NUMBER = 2**53 - 1
# Control characters no form value may hold (NUL cannot even be stored on PostgreSQL); a text area
# keeps its tabs and line breaks, a one-line field only its tabs.
_CONTROL_IN_LINE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class DrawnImage:
    """A checked PNG from a signature field, waiting to be stored as an attachment; the case data then
    keeps the attachment's id in its place."""

    data: bytes


@dataclass(frozen=True)
class Option:
    id: str
    name: str
    name_en: str = ""
    group: str = ""


@dataclass(frozen=True)
class FieldDef:
    id: str
    type: str
    label: str
    label_en: str = ""
    default: str = ""
    required: bool = False
    readonly: bool = False
    multiline: bool = False
    min_length: int | None = None
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    pattern: str | None = None
    options: tuple[Option, ...] = ()
    # (other field id, value): this field is required when the other field has that value.
    required_when: tuple[str, str] | None = None
    # Property optionalWhen = other_field=value: a required field may be left empty when the other field
    # has that value (a repair's caller, on a maintenance order the utility opens itself).
    optional_when: tuple[str, str] | None = None
    # Options come from this kind of reference data (category, department), not from the diagram.
    reference: str = ""
    # A department field left empty takes the department this field's category is routed to.
    suggest_from: str = ""
    # Property upstreamOf: the field matters only when this other field (a case source) names a
    # platform the case is replied on (U1); otherwise it is hidden and its value dropped.
    upstream_of: str = ""
    # A date or time that may not be earlier than this other field's (in the same form or the case).
    not_before: str = ""
    # A customer's personal data, of this kind (PERSONAL_KINDS); "" when the field is not personal.
    personal: str = ""
    # Property staffOf: the value is an active member of these groups (a person) or one of the groups
    # (a crew), chosen from a list; the case's next steps for those groups become the chosen person's.
    staff_of: tuple[str, ...] = ()
    # Property onsiteLimitReason: a promised time later than the case category's on-site limit (R3)
    # needs this other field (the reason) filled in.
    onsite_limit_reason: str = ""
    # Property attachmentRequiredWhen = other_field=value: when the other field has that value, the step
    # needs a file attached at it (the evidence of a send-back, C4).
    attachment_required_when: tuple[str, str] | None = None
    # Property differsFrom = other_field: the value may not be the other field's (in the same form or,
    # when another step asked it, the case's): a re-dispatch goes to another department (C4).
    differs_from: str = ""
    # Property multiple=true on an enum: several options may be chosen (assisting departments); the
    # value is the list of the chosen ids, in the order of the options, [] when none.
    multiple: bool = False

    def option_name(self, value: Any, language: str = "zh") -> str:
        for option in self.options:
            if option.id == value:
                return option.name_en if language == "en" and option.name_en else option.name
        return "" if value is None else str(value)


@dataclass(frozen=True)
class FieldError:
    """What is wrong with one value: a code the UI translates, and its parameters."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


class FormDefinitionError(HotlineError, ValueError):
    """A camunda:formField the engine cannot use (a constraint without its value, an unknown type)."""

    code = "form-definition"


def _int_config(field_id: str, name: str, config: Any) -> int:
    try:
        return int(str(config).strip())
    except (TypeError, ValueError) as err:
        raise FormDefinitionError(
            f"field '{field_id}': constraint {name} needs a whole number, got {config!r}"
        ) from err


def field_from_spiff(spiff_field: Any) -> FieldDef:
    """Translate SpiffWorkflow's parsed camunda:formField into a FieldDef, checking it on the way."""
    fid = spiff_field.id
    if not fid or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", fid):
        raise FormDefinitionError(f"form field id {fid!r} must be a name of letters, digits and '_'")
    if spiff_field.type not in FIELD_TYPES:
        raise FormDefinitionError(
            f"field '{fid}': type '{spiff_field.type}' is not one of {', '.join(FIELD_TYPES)}"
        )
    kwargs: dict[str, Any] = {}
    for constraint in spiff_field.validation:
        name, config = constraint.name, constraint.config
        if name not in KNOWN_CONSTRAINTS:
            raise FormDefinitionError(f"field '{fid}': unknown constraint '{name}'")
        if name in ("required", "readonly"):
            kwargs[name] = str(config).strip().lower() not in ("false", "0")
        elif name == "minlength":
            kwargs["min_length"] = _int_config(fid, name, config)
        elif name == "maxlength":
            kwargs["max_length"] = _int_config(fid, name, config)
        elif name == "min":
            kwargs["min_value"] = _int_config(fid, name, config)
        elif name == "max":
            kwargs["max_value"] = _int_config(fid, name, config)
        elif name == "pattern":
            try:
                re.compile(config)
            except (re.error, TypeError) as err:
                raise FormDefinitionError(
                    f"field '{fid}': pattern {config!r} is not a valid expression: {err}"
                ) from err
            kwargs["pattern"] = config
    reference = (spiff_field.get_property("reference") or "").strip()
    if reference and (spiff_field.type != "enum" or reference not in REFERENCE_KINDS):
        raise FormDefinitionError(
            f"field '{fid}': reference '{reference}' needs type enum and one of {', '.join(REFERENCE_KINDS)}"
        )
    suggest_from = (spiff_field.get_property("suggestFrom") or "").strip()
    if suggest_from and reference != "department":
        raise FormDefinitionError(f"field '{fid}': suggestFrom is for a field with reference=department")
    upstream_of = (spiff_field.get_property("upstreamOf") or "").strip()
    options: tuple[Option, ...] = ()
    if spiff_field.type == "enum":
        english = _options_en(fid, spiff_field.get_property("options_en") or "")
        options = tuple(Option(o.id, o.name, english.get(o.id, "")) for o in spiff_field.options)
        if not options and not reference:
            raise FormDefinitionError(
                f"field '{fid}': an enum field needs at least one value (or a reference)"
            )
        unknown = set(english) - {o.id for o in options}
        if unknown and not reference:
            raise FormDefinitionError(
                f"field '{fid}': options_en names values it does not have: {', '.join(sorted(unknown))}"
            )
    not_before = (spiff_field.get_property("notBefore") or "").strip()
    if not_before and spiff_field.type not in ("date", "datetime"):
        raise FormDefinitionError(f"field '{fid}': notBefore is for a date or datetime field")
    personal = (spiff_field.get_property("personal") or "").strip()
    if personal and personal not in PERSONAL_KINDS:
        raise FormDefinitionError(
            f"field '{fid}': personal '{personal}' must be one of {', '.join(PERSONAL_KINDS)}"
        )
    staff_of = tuple(g.strip() for g in (spiff_field.get_property("staffOf") or "").split(",") if g.strip())
    if staff_of and spiff_field.type != "string":
        raise FormDefinitionError(f"field '{fid}': staffOf is for a string field")
    onsite_limit_reason = (spiff_field.get_property("onsiteLimitReason") or "").strip()
    if onsite_limit_reason and spiff_field.type != "datetime":
        raise FormDefinitionError(f"field '{fid}': onsiteLimitReason is for a datetime field")
    multiline = (spiff_field.get_property("multiline") or "").lower() == "true"
    multiple = (spiff_field.get_property("multiple") or "").strip().lower() == "true"
    if multiple and spiff_field.type != "enum":
        raise FormDefinitionError(f"field '{fid}': multiple is for an enum field")
    if multiple and suggest_from:
        raise FormDefinitionError(f"field '{fid}': a field with multiple cannot have suggestFrom")
    if spiff_field.type == "string":
        kwargs["max_length"] = _max_length(fid, kwargs.get("max_length"), multiline)
    label = spiff_field.label or fid
    label_en = spiff_field.get_property("label_en") or ""
    if len(label) > MAX_NAME_LENGTH or len(label_en) > MAX_NAME_LENGTH:
        raise FormDefinitionError(f"field '{fid}': a label may be at most {MAX_NAME_LENGTH} characters long")
    return FieldDef(
        id=fid,
        required_when=_condition(fid, spiff_field, "requiredWhen"),
        optional_when=_condition(fid, spiff_field, "optionalWhen"),
        attachment_required_when=_condition(fid, spiff_field, "attachmentRequiredWhen"),
        differs_from=(spiff_field.get_property("differsFrom") or "").strip(),
        type=spiff_field.type,
        label=label,
        label_en=label_en,
        default=spiff_field.default_value or "",
        multiline=multiline,
        multiple=multiple,
        options=options,
        reference=reference,
        suggest_from=suggest_from,
        upstream_of=upstream_of,
        not_before=not_before,
        personal=personal,
        staff_of=staff_of,
        onsite_limit_reason=onsite_limit_reason,
        **kwargs,
    )


def _condition(fid: str, spiff_field: Any, name: str) -> tuple[str, str] | None:
    """A property that reads 'other_field=value', as (other field, value); None when it is not there."""
    condition = spiff_field.get_property(name)
    if not condition:
        return None
    other, sep, value = condition.partition("=")
    if not sep or not other.strip():
        raise FormDefinitionError(f"field '{fid}': {name} must read 'other_field=value', got {condition!r}")
    return other.strip(), value.strip()


def attachment_needed(fields: tuple[FieldDef, ...], values: Mapping[str, Any]) -> list[str]:
    """The fields whose attachmentRequiredWhen condition the values meet: the step needs a file."""
    return [
        f.id
        for f in fields
        if f.attachment_required_when
        and _matches(values.get(f.attachment_required_when[0]), f.attachment_required_when[1])
    ]


def _ceiling(multiline: bool) -> int:
    return MAX_MULTILINE_LENGTH if multiline else MAX_TEXT_LENGTH


def _max_length(fid: str, declared: int | None, multiline: bool) -> int:
    """A text field's longest value: the diagram's maxlength, which may not pass the ceiling of its kind."""
    ceiling = _ceiling(multiline)
    if declared is None:
        return ceiling
    if declared > ceiling:
        raise FormDefinitionError(
            f"field '{fid}': maxlength {declared} is more than the {ceiling} characters "
            f"a {'text area' if multiline else 'one-line field'} may take"
        )
    return declared


def _options_en(fid: str, text: str) -> dict[str, str]:
    """'id:English|id2:English 2' -> {'id': 'English', 'id2': 'English 2'}."""
    names: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split("|"))):
        option_id, sep, name = part.partition(":")
        if not sep or not option_id.strip():
            raise FormDefinitionError(
                f"field '{fid}': options_en must read 'id:English name|…', got {part!r}"
            )
        names[option_id.strip()] = name.strip()
    return names


def parse_local_datetime(text: str, zone: ZoneInfo) -> datetime:
    """A date and time as a browser or a person writes it; without an offset it is local to `zone`."""
    moment = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(f"{text!r} is outside the years {FIRST_YEAR}-{LAST_YEAR}")
    try:
        return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    except OverflowError as err:  # unreachable inside the window, kept so no offset can crash a form
        raise ValueError(f"{text!r} cannot be read as a local time") from err


def control_character_error(text: str, multiline: bool = False) -> FieldError | None:
    """A field error when `text` holds a control character (NUL, vertical tab, escape …); a text area
    may hold tabs and line breaks, a one-line field tabs."""
    found = (_CONTROL_IN_TEXT if multiline else _CONTROL_IN_LINE).search(text)
    if found is None:
        return None
    return FieldError("control_character", {"code": f"U+{ord(found.group()):04X}"})


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def _convert(f: FieldDef, raw: Any, zone: ZoneInfo) -> tuple[Any, FieldError | None]:
    """One submitted value to its typed form, or an error. Blank values are handled by the caller."""
    if f.type == "boolean":
        if isinstance(raw, bool):
            return raw, None
        text = str(raw).strip().lower()
        if text in ("true", "on", "1", "yes", "y"):
            return True, None
        if text in ("false", "off", "0", "no", "n"):
            return False, None
        return None, FieldError("not_boolean")
    text = str(raw).strip()
    if f.type == "signature":
        return _drawn_image(text)
    control = control_character_error(text, f.multiline and f.type == "string")
    if control is not None:
        return None, control
    if f.type == "long":
        if not re.fullmatch(r"[-+]?[0-9]{1,16}", text):
            return None, FieldError("not_integer")
        number = int(text)
        if abs(number) > LARGEST_WHOLE_NUMBER:
            return None, FieldError("not_integer")
        if f.min_value is not None and number < f.min_value:
            return None, FieldError("min_value", {"min": f.min_value})
        if f.max_value is not None and number > f.max_value:
            return None, FieldError("max_value", {"max": f.max_value})
        return number, None
    if f.type == "date":
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None, FieldError("not_date")
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            return None, FieldError("year_out_of_range", {"first": FIRST_YEAR, "last": LAST_YEAR})
        return day.isoformat(), None
    if f.type == "datetime":
        try:
            moment = datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            return None, FieldError("not_datetime")
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:
            return None, FieldError("year_out_of_range", {"first": FIRST_YEAR, "last": LAST_YEAR})
        return parse_local_datetime(text, zone).isoformat(timespec="seconds"), None
    if f.type == "enum":
        if text not in {o.id for o in f.options}:
            return None, FieldError("not_option")
        return text, None
    # Every character counts at least one: only a text shorter than the minimum is counted character by character.
    if f.min_length is not None and len(text) < f.min_length and length_toward_minimum(text) < f.min_length:
        return None, FieldError("min_length", {"min": f.min_length})
    longest = f.max_length if f.max_length is not None else _ceiling(f.multiline)
    if len(text) > longest:
        return None, FieldError("max_length", {"max": longest})
    if f.pattern and not re.fullmatch(f.pattern, text):
        return None, FieldError("pattern")
    return text, None


def _chosen(f: FieldDef, raw: Any) -> tuple[list[str], FieldError | None]:
    """A multiple choice as the list of the chosen option ids, in the options' order: from a list (a
    browser's checkboxes, the API) or one text with the ids separated by commas."""
    if isinstance(raw, list | tuple):
        texts = [str(item).strip() for item in raw]
    elif _blank(raw):
        texts = []
    else:
        texts = [part.strip() for part in str(raw).split(",")]
    chosen = {text for text in texts if text}
    known = [o.id for o in f.options]
    value = [option for option in known if option in chosen]
    if chosen - set(known):
        return value, FieldError("not_option")
    if f.required and not value:
        return value, FieldError("required")
    return value, None


def _drawn_image(text: str) -> tuple[DrawnImage | None, FieldError | None]:
    """A canvas's PNG data URL, checked: the prefix, strict base64, the PNG signature bytes, the size."""
    if not text.startswith(SIGNATURE_PREFIX):
        return None, FieldError("not_signature")
    encoded = text[len(SIGNATURE_PREFIX) :]
    if len(encoded) > (MAX_SIGNATURE_BYTES + 2) // 3 * 4:  # checked before decoding a large text
        return None, FieldError("signature_too_large", {"kb": MAX_SIGNATURE_BYTES // 1024})
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None, FieldError("not_signature")
    if not data.startswith(PNG_MAGIC):
        return None, FieldError("not_signature")
    return DrawnImage(data), None


def _matches(actual: Any, expected: str) -> bool:
    if isinstance(actual, bool):
        return str(actual).lower() == expected.lower()
    return actual is not None and str(actual) == expected


def length_toward_minimum(text: str) -> int:
    """How long a text counts toward a field's `minlength`: a Chinese (or other wide East Asian)
    character counts as two, a letter or digit as one. A Chinese word is one or two characters where
    English takes five or more, so 暖气不热 (4 characters: "the heating is not warm") meets a minimum of 5
    and so does 停水了; the browser's hint counts the same way (webforms/static/hotline.js)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _optional_here(f: FieldDef, submitted: Mapping[str, Any]) -> bool:
    """optionalWhen: the other field, as submitted, has the value that lets this one be left empty."""
    if f.optional_when is None:
        return False
    other, expected = f.optional_when
    return str(submitted.get(other) or "").strip() == expected


def validate_form(
    fields: tuple[FieldDef, ...],
    submitted: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
    zone: ZoneInfo = DEFAULT_ZONE,
    process_fields: Mapping[str, FieldDef] | None = None,
) -> tuple[dict[str, Any], dict[str, FieldError]]:
    """Check submitted values against the form; return (typed values, errors by field id).

    Every field of the form gets a value (None when left blank, False for an unticked box), so the
    diagram's conditions and scripts can rely on the names existing. Read-only fields keep the case's
    current value whatever was submitted.
    """
    current = current or {}
    values: dict[str, Any] = {}
    errors: dict[str, FieldError] = {}
    for f in fields:
        if f.readonly:
            values[f.id] = current.get(f.id)
            continue
        raw = submitted.get(f.id)
        if isinstance(raw, list | tuple) and not f.multiple:
            raw = raw[0] if raw else None  # a field sent twice: its first value, as a form reads it
        if f.type == "signature" and _blank(raw) and current.get(f.id) is not None:
            values[f.id] = current[f.id]  # a signature drawn at an earlier pass of this step stays
            continue
        if f.multiple:
            values[f.id], error = _chosen(f, raw)
            if error:
                errors[f.id] = error
            continue
        if f.type == "boolean" and _blank(raw):
            if f.required:
                errors[f.id] = FieldError("required")
            values[f.id] = False
            continue
        if _blank(raw):
            if f.required and not _optional_here(f, submitted):
                errors[f.id] = FieldError("required")
            values[f.id] = None
            continue
        value, error = _convert(f, raw, zone)
        if error:
            errors[f.id] = error
        values[f.id] = value
    for f in fields:
        if f.required_when and f.id not in errors and values.get(f.id) in (None, False):
            other, expected = f.required_when
            if _matches(values.get(other), expected):
                errors[f.id] = FieldError("required")
    if any(f.not_before for f in fields):
        _check_order(
            fields, values, current, errors, zone, {**(process_fields or {}), **{f.id: f for f in fields}}
        )
    if any(f.differs_from for f in fields):
        _check_different(
            fields, values, current, errors, {**(process_fields or {}), **{f.id: f for f in fields}}
        )
    return values, errors


def _check_different(
    fields: tuple[FieldDef, ...],
    values: Mapping[str, Any],
    current: Mapping[str, Any],
    errors: dict[str, FieldError],
    labels: Mapping[str, FieldDef],
) -> None:
    """differsFrom: e.g. a re-dispatch to the department that sent the case back is no re-dispatch."""
    own = {f.id for f in fields}
    for f in fields:
        if not f.differs_from or f.id in errors or values.get(f.id) is None:
            continue
        other = values.get(f.differs_from) if f.differs_from in own else current.get(f.differs_from)
        value = values[f.id]
        same = str(other) in value if isinstance(value, list) else str(other) == str(value)
        if other is not None and same:
            other_field = labels.get(f.differs_from)
            errors[f.id] = FieldError(
                "same_as_other",
                {
                    "other": other_field.label if other_field else f.differs_from,
                    "other_en": (other_field.label_en or other_field.label)
                    if other_field
                    else f.differs_from,
                },
            )


def _check_order(
    fields: tuple[FieldDef, ...],
    values: Mapping[str, Any],
    current: Mapping[str, Any],
    errors: dict[str, FieldError],
    zone: ZoneInfo,
    labels: Mapping[str, FieldDef],
) -> None:
    """notBefore: e.g. a restoration time earlier than the outage's start is a typing mistake. `labels`
    names the earlier field, which may belong to another step's form."""
    for f in fields:
        if not f.not_before or f.id in errors or values.get(f.id) is None:
            continue
        other = values[f.not_before] if values.get(f.not_before) is not None else current.get(f.not_before)
        if other is None or f.not_before in errors:
            continue
        if _moment(values[f.id], zone) < _moment(other, zone):
            other_field = labels.get(f.not_before)
            errors[f.id] = FieldError(
                "before_other",
                {
                    "other": other_field.label if other_field else f.not_before,
                    "other_en": (other_field.label_en or other_field.label) if other_field else f.not_before,
                },
            )


def _moment(value: Any, zone: ZoneInfo) -> datetime:
    """A stored date or time as a comparable moment (a date counts from its start, local time)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def initial_values(fields: tuple[FieldDef, ...], case_data: Mapping[str, Any]) -> dict[str, Any]:
    """What a form shows before the user types: the case's value, else the diagram's default."""
    shown: dict[str, Any] = {}
    for f in fields:
        if case_data.get(f.id) is not None:
            shown[f.id] = case_data[f.id]
        elif f.default != "":
            shown[f.id] = f.default if f.type != "boolean" else f.default.lower() == "true"
        else:
            shown[f.id] = None
    return shown
