"""Problems as a protocol file shows them: pydantic's validation errors turned into one line per problem,
`key.path: value is not allowed: what is allowed, e.g. ...`, and the ProtocolError that lists them.

The models say what is allowed in their fields' `description`s; a check that words its own message raises
`fail(...)`. `messages` walks an error's location through the models (`nested` names the fields that hold
models) to find the field and the path the file has.
"""

from __future__ import annotations

import difflib
import re
import reprlib
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from neuroscape.errors import ProtocolError
from neuroscape.textfiles import unusual_characters

# A field holding models -> the model, or for a discriminated union the tag -> model table (pydantic puts
# the tag into the error's location; the file has no such level).
Nested = Mapping[tuple[type[BaseModel], str], Any]


def fmt(value: Any) -> str:
    """Show a value the way it would be written in the file."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # validated values are floats; show 3, as the file most likely wrote it
    text = _SHORT.repr(value)  # cut while writing: repr() of a huge value (a YAML bomb) would never finish
    return text if len(text) <= 60 else text[:57] + "..."


# Bounds on what `fmt` writes of a value: a few items per container, a few levels, a short string.
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxtuple, _SHORT.maxdict = 3, 6, 6, 4
_SHORT.maxstring = _SHORT.maxother = _SHORT.maxlong = 80


def did_you_mean(word: str, choices: Collection[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def fail(problems: list[tuple[tuple[Any, ...], str]]) -> PydanticCustomError:
    """An error that carries finished messages; `problems` holds (loc below the field, message)."""
    summary = "; ".join(f"{'.'.join(map(str, loc))}: {msg}" if loc else msg for loc, msg in problems)
    return PydanticCustomError("protocol", "{summary}", {"summary": summary, "problems": problems})


def key_path(loc: tuple[Any, ...]) -> str:
    """`loc` as a path into the file: interventions[0].dose_mg."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[^\s.\[\]'\"]+", str(part)):
            text += f"{'.' if text else ''}{part}"
        else:  # a key with spaces or dots would make the path ambiguous
            text += f"[{str(part)!r}]"
    return text or "(top level)"


def _locate(root: type[BaseModel], nested_fields: Nested,
            loc: tuple[Any, ...]) -> tuple[type[BaseModel], str | None, tuple[Any, ...]]:
    """The model and field that `loc` ends in (the field is None when loc[-1] is not a field), and `loc`
    as the file has it (without union tags)."""
    owner, field = root, None
    shown: list[Any] = []
    for k, part in enumerate(loc):
        if field is not None:
            nested = nested_fields.get((owner, field))
            if nested is None:
                return owner, field, (*shown, *loc[k:])
            if isinstance(part, int):
                shown.append(part)
                continue
            if isinstance(nested, dict):
                if part not in nested:
                    return owner, field, (*shown, *loc[k:])
                owner, field = nested[part], None
                continue
            owner, field = nested, None
        shown.append(part)
        if not (isinstance(part, str) and part in owner.model_fields):
            return owner, None, (*shown, *loc[k + 1:])
        field = part
    return owner, field, tuple(shown)


def _keys(owner: type[BaseModel]) -> list[str]:
    kind = getattr(owner, "KIND", None)  # an intervention's kind key comes first, as in a file
    return ([kind] if kind else []) + [key for key in owner.model_fields if key != kind]


def messages(exc: ValidationError, root: type[BaseModel], nested: Nested) -> list[tuple[Any, str]]:
    """(top-level key, message) for each error of validating `root`."""
    lines: list[tuple[Any, str]] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        # pydantic marks a bad dict key with a trailing "[key]"; an unknown key may be named "[key]" too
        is_key = len(loc) >= 2 and loc[-1] == "[key]" and err["type"] != "extra_forbidden"
        owner, field, shown = _locate(root, nested, loc[:-1] if is_key else loc)
        # a problem with a key itself is reported at the mapping that holds it
        about_key = is_key or err["type"] == "invalid_key" or (
            err["type"] == "extra_forbidden" and not isinstance(shown[-1], str))
        where = shown[:-1] if about_key else shown
        if err["type"] == "protocol":
            found = [(key_path(where + tuple(sub)), msg) for sub, msg in err["ctx"]["problems"]]
        elif about_key:
            found = [(key_path(where), f"key {fmt(shown[-1])} is not allowed: keys must be names (text)")]
        elif err["type"] == "extra_forbidden":
            keys = _keys(owner)
            found = [(key_path(shown), f"unknown key; allowed keys: {', '.join(keys)}"
                                       f"{did_you_mean(str(shown[-1]), keys)}")]
        else:
            hint = owner.model_fields[field].description if field else None
            reason = hint or err["msg"][:1].lower() + err["msg"][1:]
            reason = _limit(err, hint) + reason + _characters(err.get("input"))
            found = [(key_path(shown), f"required key is missing; {reason}" if err["type"] == "missing"
                      else f"{fmt(err.get('input'))} is not allowed: {reason}")]
        lines += [(shown[0] if shown else None, f"{path}: {msg}") for path, msg in found]
    return lines


def _limit(err: Any, hint: str | None) -> str:
    """The length limit a too-long value broke, said first (the field's hint alone would not say it)."""
    limit = (err.get("ctx") or {}).get("max_length")
    if err["type"] == "string_too_long" and hint:
        return f"at most {limit} characters (it has {len(err['input'])}); "
    if err["type"] == "too_long" and hint:
        return f"at most {limit} items (it has {(err.get('ctx') or {}).get('actual_length', '?')}); "
    return ""


def _characters(value: Any) -> str:
    """A note on a character outside plain ASCII in a rejected text (a Cyrillic 'е' in a drug name)."""
    note = unusual_characters(value) if isinstance(value, str) else ""
    return f"; {note}" if note else ""


def protocol_error(source: str, lines: list[str]) -> ProtocolError:
    """One error for every problem of the file `source`, one per line."""
    if len(lines) == 1:
        error = ProtocolError(f"{source}: {lines[0]}")
    else:
        error = ProtocolError(f"{source}: {len(lines)} problems:\n" + "\n".join(f"  {line}" for line in lines))
    error.problems = lines  # type: ignore[attr-defined]  # for callers that show problems one by one
    return error
