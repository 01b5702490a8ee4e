"""What a study's config accepts, read from its pydantic model: every key with its type, default,
allowed values and description, and what each preset changes (``toyscope config STUDY``)."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ._base import StudyConfig


@dataclasses.dataclass(frozen=True)
class ConfigOption:
    """One config key: its ``name``, ``type`` and ``allowed`` values as text, its ``default`` (the
    value itself, ``None`` for none) and one-line ``description``."""

    name: str
    type: str
    default: Any
    allowed: str
    description: str


def _type_text(annotation) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return "choice"
    if origin in (typing.Union, types.UnionType):
        parts = [_type_text(a) for a in args if a is not type(None)]
        return " or ".join(dict.fromkeys(parts)) + (" or none" if type(None) in args else "")
    if origin in (list, tuple, set):
        inner = ", ".join(dict.fromkeys(_type_text(a) for a in args if a is not Ellipsis)) or "any"
        return f"list of {inner}"
    if origin is dict:
        return f"table of {_type_text(args[0])} -> {_type_text(args[1])}" if args else "table"
    return getattr(annotation, "__name__", str(annotation))


def _choices(annotation) -> list[Any]:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return list(args)
    if origin in (typing.Union, types.UnionType):
        return [c for a in args for c in _choices(a)]
    return []


# pydantic's constraint objects (annotated_types.Ge, ...) by the attribute each carries
_BOUNDS = (("Ge", "ge", ">="), ("Gt", "gt", ">"), ("Le", "le", "<="), ("Lt", "lt", "<"),
           ("MinLen", "min_length", "length >="), ("MaxLen", "max_length", "length <="))


def _allowed_text(field) -> str:
    parts = []
    choices = _choices(field.annotation)
    if choices:
        parts.append("one of " + ", ".join(str(c) for c in choices))
    for item in field.metadata:
        for kind, attribute, symbol in _BOUNDS:
            if type(item).__name__ == kind and getattr(item, attribute, None) is not None:
                parts.append(f"{symbol} {getattr(item, attribute)}")
    if not parts:
        return "any"
    return ", ".join(parts)


def _default(field) -> Any:
    value = field.default_factory() if field.default_factory is not None else (
        None if field.default is PydanticUndefined else field.default)
    return value.model_dump() if isinstance(value, BaseModel) else value  # a nested setting, as a dict


def config_options(config_class: type[StudyConfig]) -> list[ConfigOption]:
    """Every key of ``config_class``, in declaration order; its description is the field's
    ``description`` or the class's ``FIELD_DOCS`` entry, and ``allowed`` the bounds and choices the
    model checks by itself (checks made in a validator are stated in the description).

    Example:
        >>> from toyscope.studies import get_study, config_options
        >>> option = next(o for o in config_options(get_study("xor-basins").config_class) if o.name == "n_networks")
        >>> option.type, option.default, option.allowed
        ('int', 1000, '>= 10')
    """
    docs = config_class.FIELD_DOCS
    return [ConfigOption(name, _type_text(field.annotation), _default(field), _allowed_text(field),
                         (field.description or docs.get(name, "")).strip())
            for name, field in config_class.model_fields.items()]


def preset_changes(config_class: type[StudyConfig]) -> dict[str, dict[str, Any]]:
    """Preset name -> the keys it sets and their values (``{}`` for the defaults).

    Example:
        >>> from toyscope.studies import get_study, preset_changes
        >>> preset_changes(get_study("xor-basins").config_class)["smoke"]["n_networks"]
        128
    """
    return {name: dict(values) for name, values in config_class.PRESETS.items()}
