"""References and names that people compare by eye: normalised, checked, and unique by look.

Task refs, agreement codes, party names, categories and systems are stored in Unicode
NFC. Control characters, bidirectional formatting (a right-to-left override prints
``Prov \\u202eevil`` as "Prov live") and invisible characters (zero-width space,
Hangul fillers, variation selectors...) are refused, naming the field.

Where a value must be unique, it is unique on its confusable skeleton (Unicode TR39,
computed by ICU's SpoofChecker): ``\\u0422-HOMO`` (a Cyrillic Te) has the skeleton of
``T-HOMO``, so the second is refused with "already recorded as T-HOMO". The skeleton
is stored in an indexed column with a unique constraint, filled by the column default.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Mapping
from typing import Any

import icu
import sqlalchemy as sa
from marshmallow import ValidationError, fields

from contracts_app.db import db
from contracts_app.errors import ValidationFailed

# Control, format (text direction, zero-width...), surrogates, line/paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Invisible, yet letters or symbols by category (TR39 and the Unicode "default ignorable" set).
_BLANK_LOOKING = frozenset({0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x034F})

# For the API description: a value with a visible character and none of the common
# refused ones (the service checks every one of them).
_COMMON_REFUSED = (
    r"\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f"
    r"\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
)
NAME_PATTERN = rf"^[^{_COMMON_REFUSED}]*[^\s{_COMMON_REFUSED}][^{_COMMON_REFUSED}]*$"
NON_BLANK_PATTERN = r"^\s*\S"
IDENTIFIER_PATTERN = rf"^[^{_COMMON_REFUSED}]*$"

_local = threading.local()


def _spoof_checker() -> icu.SpoofChecker:
    checker = getattr(_local, "checker", None)
    if checker is None:
        checker = _local.checker = icu.SpoofChecker()
    return checker


def _refused(char: str) -> bool:
    code = ord(char)
    if code in _BLANK_LOOKING or unicodedata.category(char) in _REFUSED_CATEGORIES:
        return True
    return bool(icu.Char.hasBinaryProperty(code, icu.UProperty.DEFAULT_IGNORABLE_CODE_POINT))


def problem_with(value: str) -> str | None:
    """Why ``value`` cannot be an identifier, or None."""
    if value.isascii() and value.isprintable():
        return None  # printable ASCII holds none of the refused characters: the usual case
    for char in value:
        if _refused(char):
            name = unicodedata.name(char, "unnamed")
            return (
                f"Contains an invisible, control or text-direction character "
                f"(U+{ord(char):04X} {name}); type the text again without it."
            )
    return None


def clean(value: str, field: str) -> str:
    """``value`` in NFC with its outer spaces removed; refused (naming ``field``) if it
    holds a control, text-direction or invisible character."""
    value = unicodedata.normalize("NFC", value).strip()
    message = problem_with(value)
    if message:
        raise ValidationFailed({field: [message]})
    return value


def clean_name(value: str, field: str) -> str:
    """A name: cleaned as an identifier, with runs of spaces made one."""
    return " ".join(clean(value, field).split())


def clean_fields(values: Mapping[str, str | None]) -> dict[str, str | None]:
    """Clean several optional values at once; one error lists every refused field."""
    cleaned: dict[str, str | None] = {}
    errors: dict[str, list[str]] = {}
    for field, value in values.items():
        if value is None:
            cleaned[field] = None
            continue
        try:
            cleaned[field] = clean(value, field)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def skeleton(value: str) -> str:
    """The TR39 confusable skeleton of the text folded: equal for strings that look alike
    or differ only in width or case (fullwidth letters, "nul-1" and "NUL-1": one ticket),
    which the confusables data alone does not fold."""
    # The confusables data tells some capitals (I and l) and some small letters (1 and l,
    # m and rn) apart only in their own case: the skeleton of the capitals, then of that
    # in small letters, meets both ("inc-1" and "INC-1", "paypa1" and "PAYPAL").
    checker = _spoof_checker()
    capitals = checker.getSkeleton(0, unicodedata.normalize("NFKC", value).upper())
    return checker.getSkeleton(0, unicodedata.normalize("NFC", capitals.lower()))


def skeleton_default(source: str) -> Any:
    """A column default: the skeleton of the row's ``source`` column."""

    def compute(context: Any) -> str:
        return skeleton(context.get_current_parameters()[source])

    return compute


def refuse_lookalike(
    column: sa.ColumnElement[str],
    skeleton_column: sa.ColumnElement[str],
    value: str,
    field: str,
    *where: sa.ColumnElement[bool],
    what: str = "This",
) -> None:
    """Refuse ``value`` when a row (among ``where``) already holds it or a lookalike of it;
    the message names the value as first recorded."""
    original = db.session.scalar(
        sa.select(column).where(skeleton_column == skeleton(value), *where).limit(1)
    )
    if original is None:
        return
    if original == value:
        raise ValidationFailed({field: [f"{what} {value} is already recorded."]})
    raise ValidationFailed(
        {field: [f"{what} looks like one already recorded as {original!r}; use that one."]}
    )


class Identifier(fields.String):
    """An API string that is an identifier: NFC, without invisible or control characters."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": IDENTIFIER_PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = unicodedata.normalize("NFC", super()._deserialize(value, attr, data, **kwargs))
        message = problem_with(text)
        if message:
            raise ValidationError(message)
        return text


class Name(Identifier):
    """A party's name: an identifier with a visible character, documented by its pattern."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": NAME_PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.strip():
            raise ValidationError("This field is required.")
        return text
