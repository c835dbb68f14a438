"""Reading a protocol file's text: YAML as it looks (1.2 scalars, no duplicate keys) or JSON without duplicate
keys. Every failure is a ProtocolError, naming the line and column where the reader knows them."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from neuroscape.protocol._messages import protocol_error
from neuroscape.textfiles import CappedLoader


class _YamlLoader(CappedLoader):
    """YAML 1.2 scalars and no duplicate keys (and the shared cap on anchors and references, textfiles.py).

    PyYAML follows YAML 1.1, where `clock_start: 12:30` loads as 750, `id: no` as false, `1e3` as a string
    and `010` as 8. A protocol means what it looks like, so only true/false, decimal ints and plain
    floats are typed; everything else stays a string.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if (key_node.tag, key_node.value) in seen:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"found duplicate key {key_node.value!r}; each key may appear once, remove one",
                        key_node.start_mark)
                seen.add((key_node.tag, key_node.value))
        return super().construct_mapping(node, deep=deep)


_YAML_11_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float", "timestamp")}
_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag not in _YAML_11_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_YamlLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
               r"|\.(?:nan|NaN|NAN))$"),
    list("-+.0123456789"))
_YamlLoader.add_constructor("tag:yaml.org,2002:int", lambda loader, node: int(loader.construct_scalar(node)))


def read_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        hint = ""
        if "alias" in f"{problem} {getattr(exc, 'context', '')}":
            hint = '; a value starting with * must be quoted, e.g. CYP2C19: "*2/*2"'
        raise protocol_error(source, [f"not valid YAML: {where}{problem}{hint}"]) from exc
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as exc:
        # PyYAML's constructors fail this way on explicit tags such as `!!int abc`, or on deep nesting
        raise protocol_error(source, [f"not valid YAML: cannot read a value ({type(exc).__name__}: {exc}); "
                                       "write plain numbers and text without !! tags"]) from exc


def read_json(text: str, source: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        for key in keys:
            if keys.count(key) > 1:
                raise protocol_error(source, [f"not valid JSON: duplicate key {key!r}; each key may "
                                               "appear once, remove one"])
        return dict(pairs)

    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise protocol_error(source, [f"not valid JSON: {where}: {exc.msg}"]) from exc
    except RecursionError as exc:
        raise protocol_error(source, ["not valid JSON: nested too deeply"]) from exc
