"""Reading a user's text file safely: one place for the size limit, the UTF-8 check and the capped YAML loader.

Every loader of a user's YAML (protocol files, target profiles, and any later format) goes through
`CappedLoader` or `load_yaml`, so a few hundred bytes of nested anchors (`&a [*a, *a, ...]`, the
"billion laughs") cannot grow into gigabytes: the composed document is measured before any value is
built. Text is decoded here too, so a file that is not UTF-8 says where its first bad byte is.

The errors are plain `ValueError`s with a finished sentence (`TextFileError`); each format wraps them in
its own error class with the file's name (ProtocolError, DataError), so this module stays dependency-free.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 20_000_000  # 20 MB: far above any protocol, profile or patient record; a bound on memory
MAX_ALIAS_VALUES = 100_000  # values that anchors and references (*name) may add to a YAML document


class TextFileError(ValueError):
    """A file cannot be read as text; the message says why and how to fix it (without the file name)."""


def decode_utf8(data: bytes, what: str = "file") -> str:
    """`data` as UTF-8 text (a leading byte-order mark dropped); TextFileError naming the first bad byte's
    line, column and value otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start
        head = data[:start]
        line = head.count(b"\n") + 1
        column = start - (head.rfind(b"\n") + 1) + 1
        raise TextFileError(
            f"not UTF-8 text: byte {start} (line {line}, column {column}) is 0x{data[start]:02x}; a {what} "
            "must be saved as UTF-8 (in an editor: save with encoding UTF-8; from Latin-1: "
            "iconv -f latin1 -t utf-8)") from None


def read_text(path: str | Path, what: str = "file", limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of `path`, at most `limit` bytes. Raises FileNotFoundError for a missing file (callers
    word that themselves) and TextFileError for a folder, an oversized file or text that is not UTF-8."""
    path = Path(path)
    if path.is_dir():
        raise TextFileError(f"is a folder, not a {what}; give the path of the file")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise TextFileError(f"cannot read the {what}: {exc.strerror or exc}") from None
    if size > limit:
        raise TextFileError(f"the file has {size} bytes; a {what} may have at most {limit} bytes "
                            f"({limit / 1e6:g} MB)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TextFileError(f"cannot read the {what}: {exc.strerror or exc}") from None
    return decode_utf8(data, what)


def expanded_size(root: yaml.Node) -> tuple[int, int]:
    """(values the document holds once every reference is replaced by a copy, distinct nodes). Raises
    TextFileError for a reference cycle (`&a [*a]`). Walks each distinct node once, so a bomb costs
    nothing to measure."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        kids = _children(node)
        if finished:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(k)] for k in kids)
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise TextFileError("an anchor refers to itself (&name inside the value that *name repeats); "
                                "write the value out")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in sizes)
    return sizes[id(root)], len(sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_expansion(node: yaml.Node, limit: int = MAX_ALIAS_VALUES) -> None:
    """yaml.composer.ComposerError when references (*name) would add more than `limit` values."""
    try:
        total, distinct = expanded_size(node)
    except TextFileError as exc:
        raise yaml.composer.ComposerError(None, None, str(exc), node.start_mark) from None
    if total - distinct > limit:
        raise yaml.composer.ComposerError(
            None, None, f"the anchors (&name) and references (*name) repeat values {total - distinct} times; "
            f"at most {limit} repeated values are allowed; write the values out or repeat less", node.start_mark)


class CappedLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader with the document measured before it is built (`check_expansion`)."""

    def get_single_node(self) -> Any:
        node = super().get_single_node()
        if node is not None:
            check_expansion(node)
        return node


def load_yaml(text: str) -> Any:
    """`yaml.safe_load` with the reference cap; raises yaml.YAMLError (and RecursionError on absurd nesting)."""
    return yaml.load(text, Loader=CappedLoader)  # noqa: S506 - a SafeLoader subclass


# Letters of other alphabets that look like ASCII ones (a subset of Unicode's confusables: the Cyrillic and
# Greek letters a keyboard layout or a copied web page slips into a Latin name).
_LOOK_ALIKES = dict(zip(
    "аеорсхуіјѕԁһӏАВЕКМНОРСТХІЈЅαοινκτρΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcxyijsdhlABEKMHOPCTXIJSaoivktpABEZHIKMNOPTYX"))


def unusual_characters(text: str) -> str:
    """A note naming the first character of `text` outside printable ASCII, e.g. "it contains U+0435 CYRILLIC
    SMALL LETTER IE at position 1 (looks like 'e'); retype it"; "" when there is none."""
    import unicodedata

    for i, ch in enumerate(text):
        if " " <= ch <= "~":
            continue
        name = unicodedata.name(ch, "an unnamed character")
        like = f" (looks like {_LOOK_ALIKES[ch]!r})" if ch in _LOOK_ALIKES else ""
        return (f"it contains U+{ord(ch):04X} {name} at position {i + 1}{like}, which is not a plain ASCII "
                "character; retype it")
    return ""


def ascii_look_alike(text: str) -> str:
    """`text` with the look-alike letters of other alphabets replaced by the ASCII letters they imitate."""
    return "".join(_LOOK_ALIKES.get(ch, ch) for ch in text)
