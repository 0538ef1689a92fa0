"""Input rules shared by every request Struct: free text trimmed before its limits are checked.

msgspec checks ``Meta`` limits on the raw value, before anything could trim it, so text fields declare their
limits here instead: ``Annotated[str, trimmed(2, 100)]`` documents ``minLength``/``maxLength`` in the OpenAPI
document, and ``Input.__post_init__`` trims each such field and checks the limits on the trimmed value. A failure is
raised as ``ValueError`` carrying the field's JSON name; msgspec adds the path of the object
(``$.users[2]``) and errors.validation_errors joins the two into ``users[2].name``.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from service.users.emails import MAX_LENGTH as MAX_EMAIL_LENGTH
from service.users.emails import normalize_email

FIELD_MARK = "\x00"
_TRIMMED = "trimmed"
_EMAIL = "email"


def trimmed(min_length: int, max_length: int, description: str | None = None) -> msgspec.Meta:
    """Metadata for free text, ``Annotated[str, trimmed(2, 100)]``: trimmed, then ``min_length``..``max_length``
    characters. The limits reach the OpenAPI document as ``minLength``/``maxLength``."""
    limits: dict[str, int] = {"maxLength": max_length}
    if min_length:
        limits["minLength"] = min_length
    schema: dict[str, Any] = {"extra": limits}
    if description:
        schema["description"] = description
    return msgspec.Meta(description=description, extra_json_schema=schema, extra={_TRIMMED: (min_length, max_length)})


def email_address(description: str = "Trimmed and compared case-insensitively") -> msgspec.Meta:
    """Metadata for an email, ``Annotated[str, email_address()]``: stored trimmed and lower-case."""
    return msgspec.Meta(
        description=description,
        extra_json_schema={"extra": {"format": "email", "maxLength": MAX_EMAIL_LENGTH}},
        extra={_EMAIL: True},
    )


def field_error(field: str, message: str) -> ValueError:
    """The error ``__post_init__`` raises for one field (``field`` is its JSON name)."""
    return ValueError(f"{FIELD_MARK}{field}{FIELD_MARK}{message}")


class Input(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """Base of every request body: camelCase, unknown fields refused, ``Text`` fields trimmed and checked."""

    def __post_init__(self) -> None:
        for name, json_name, limits in _text_fields_of(type(self)):
            value = getattr(self, name)
            if not isinstance(value, str):
                continue  # None or UNSET
            if limits is None:  # an email
                try:
                    setattr(self, name, normalize_email(value))
                except ValueError as exc:
                    raise field_error(json_name, str(exc)) from None
                continue
            value = trim(value)
            problem = text_problem(value, *limits)
            if problem:
                raise field_error(json_name, problem)
            # Optional free text left empty by trimming is stored as absent.
            setattr(self, name, value if value or limits[0] else None)


# C0 and C1 control characters but tab, line feed and carriage return (an address may span lines). NUL in
# particular: PostgreSQL cannot store it in text, so it must be refused here, as a 400 naming the field.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What trimming removes at both ends: white space, and invisible format characters (zero-width spaces, BOM).
_EDGES = re.compile(r"^[\s\u200b-\u200f\u2060\ufeff]+|[\s\u200b-\u200f\u2060\ufeff]+$")


def trim(value: str) -> str:
    """``value`` without white space or invisible format characters at either end."""
    return _EDGES.sub("", value)


def text_problem(value: str, least: int, most: int) -> str | None:
    """What is wrong with free text already trimmed, for limits ``least``..``most`` characters, or None: the one
    rule for every text field of a body and for text query parameters (``search``)."""
    if _CONTROL.search(value):
        return "must not contain control characters"
    if len(value) < least:
        return "must not be empty" if least == 1 else f"must be at least {least} characters"
    if len(value) > most:
        return f"must be at most {most} characters"
    return None


_TEXT_FIELDS: dict[type, tuple[tuple[str, str, tuple[int, int] | None], ...]] = {}


def _text_fields_of(cls: type[Input]) -> tuple[tuple[str, str, tuple[int, int] | None], ...]:
    # Read once per class, on first use: msgspec resolves the annotations only once the class is complete.
    found = _TEXT_FIELDS.get(cls)
    if found is None:
        found = tuple(
            (field.name, field.encode_name, limits)
            for field in msgspec.structs.fields(cls)
            if (limits := _limits_of(field.type)) is not _PLAIN
        )
        _TEXT_FIELDS[cls] = found
    return found


_PLAIN = (-1, -1)


def _limits_of(annotation: Any) -> tuple[int, int] | None:
    # The (min, max) of trimmed(...), None for email_address(), _PLAIN for any other field. The metadata may sit
    # inside Optional[...] or a union with UnsetType.
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        for meta in getattr(candidate, "__metadata__", ()):
            if isinstance(meta, msgspec.Meta) and meta.extra:
                if _TRIMMED in meta.extra:
                    return meta.extra[_TRIMMED]  # type: ignore[no-any-return]
                if _EMAIL in meta.extra:
                    return None
    return _PLAIN
