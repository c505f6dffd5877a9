"""The one guarded reader of user YAML (CLI and app): bounded before anything expands.

A scenario file comes from a user, or from an upload to the app. Before a value is
built, the reader enforces:

* a size limit (:data:`MAX_INPUT_BYTES`): a larger file is refused from its size alone,
  without reading it whole;
* a nesting depth limit (:data:`MAX_DEPTH` levels of mappings/lists), checked while the
  YAML is composed, so ``[[[[…]]]]`` fails with a message instead of a recursion error;
* alias limits: at most :data:`MAX_ALIASES` ``*alias`` references, no alias that refers to
  itself, and at most :data:`MAX_EXPANDED_NODES` values once every alias is expanded
  (counted on the node graph, never by expanding it), so a "billion laughs" file fails
  fast instead of filling the memory;
* no duplicate keys in a mapping (YAML would keep the last one without a word).

:func:`short_repr` is how a message shows a value from the file: truncated and without
expanding it, so a 10 MB value never comes back as a 10 MB message.
"""

from __future__ import annotations

import os
import reprlib
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

try:
    from yaml._yaml import CParser as _CParser
except ImportError:  # PyYAML built without libyaml: the pure-Python parser
    _CParser = None

MAX_INPUT_BYTES = 256 * 1024
"""Largest scenario file (bytes). Scenarios list workloads and demand; the largest example
is under 10 kB and a 3,000-job scenario about 200 kB."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and lists (a scenario needs 5)."""
MAX_ALIASES = 1_000
"""Most ``*alias`` references in one file."""
MAX_EXPANDED_NODES = 200_000
"""Most YAML values once every alias is expanded."""
SHOWN_CHARS = 80
"""Longest value shown in a message (characters)."""

_MERGE_TAG = "tag:yaml.org,2002:merge"


class InputLimitError(ValueError):
    """A user file breaks a limit or a rule of the guarded reader; the message says which."""


_repr = reprlib.Repr()
_repr.maxstring = SHOWN_CHARS
_repr.maxother = SHOWN_CHARS
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 4
_repr.maxlevel = 2


def short_repr(value: Any) -> str:
    """``repr(value)`` truncated to about :data:`SHOWN_CHARS` characters (nested
    containers abbreviated with ``...``, never expanded in full)."""
    text = _repr.repr(value)
    return text if len(text) <= SHOWN_CHARS + 10 else text[:SHOWN_CHARS] + "...'"


def short_text(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def read_capped(path: Path, limit_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of ``path``; :class:`InputLimitError` if it holds more than
    ``limit_bytes`` (only ``limit_bytes + 1`` bytes are ever read)."""
    with Path(path).open("rb") as fh:
        data = fh.read(limit_bytes + 1)
        if len(data) > limit_bytes:
            check_size(max(os.fstat(fh.fileno()).st_size, len(data)), str(path), limit_bytes)
    return data


def check_size(n_bytes: int, origin: str, limit_bytes: int = MAX_INPUT_BYTES) -> None:
    """:class:`InputLimitError` when ``n_bytes`` is over ``limit_bytes``."""
    if n_bytes > limit_bytes:
        raise InputLimitError(
            f"{origin}: the file is {n_bytes / 1024:,.0f} kB; scenario files are limited to "
            f"{limit_bytes // 1024} kB (a scenario lists workloads and demand, so a larger "
            "file is probably not a scenario)")


def decode_utf8(data: bytes, origin: str) -> str:
    """``data`` as UTF-8 text (a leading byte-order mark is dropped)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputLimitError(
            f"{origin}: not UTF-8 text (byte {err.start}); save the scenario as UTF-8 YAML"
        ) from None


class _Guards:
    """Depth, alias and duplicate-key checks, mixed into a PyYAML safe loader (first in
    its method resolution order, so they wrap the composer's and constructor's steps)."""

    _depth = 0
    _aliases = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise InputLimitError(
                    f"line {mark.line + 1}: more than {MAX_ALIASES:,} YAML aliases (*name); "
                    "write the values out")
            return super().compose_node(parent, index)  # type: ignore[misc,no-any-return]
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise InputLimitError(
                f"line {mark.line + 1}: nested more than {MAX_DEPTH} levels deep; a scenario "
                "needs about 5 (mapping → list → mapping …)")
        try:
            return super().compose_node(parent, index)  # type: ignore[misc,no-any-return]
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue  # merge keys (<<: *base) may be overridden on purpose
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in first_line:
                    raise InputLimitError(
                        f"line {line}: duplicate key {short_repr(key)} (first at line "
                        f"{first_line[key]}); YAML would silently keep the last one, so "
                        "remove one of them")
                first_line[key] = line
            except TypeError:  # unhashable key: the base loader reports it
                continue
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc,no-any-return]


class _GuardedLoader(_Guards, yaml.SafeLoader):
    """PyYAML's pure-Python safe loader with the guards."""


if _CParser is not None:

    class _FastGuardedLoader(_Guards, Composer, _CParser, SafeConstructor, Resolver):  # type: ignore[misc,valid-type]
        """libyaml's parser (events in C) with PyYAML's composer and the guards: the same
        checks at about twice the pure-Python speed."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)


def _loader(text: str) -> Any:
    if _CParser is not None:
        return _FastGuardedLoader(text)
    return _GuardedLoader(text)


def _expanded_size(root: Node) -> int:
    """Values under ``root`` with every alias expanded, counted on the graph (memoized,
    iterative); :class:`InputLimitError` for an alias that contains itself."""
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            if size[key] > MAX_EXPANDED_NODES:
                raise InputLimitError(
                    f"line {node.start_mark.line + 1}: YAML aliases expand to more than "
                    f"{MAX_EXPANDED_NODES:,} values (an alias bomb?); write the values out")
            continue
        if key in size:
            continue
        if key in on_path:
            raise InputLimitError(
                f"line {node.start_mark.line + 1}: a YAML alias refers to a value that "
                "contains it (infinite nesting)")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)
    return size[id(root)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    assert isinstance(node, ScalarNode)
    return []


def load_yaml(text: str, origin: str) -> Any:
    """Parse one YAML document under the limits above.

    Raises :class:`InputLimitError` for a broken limit and for invalid YAML (with its line
    and column); the message starts with ``origin``.
    """
    check_size(len(text.encode("utf-8", "surrogatepass")), origin)
    try:
        loader = _loader(text)
    except UnicodeEncodeError:
        raise InputLimitError(f"{origin}: the text holds an invalid character (a lone "
                              "surrogate); save the scenario as UTF-8") from None
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _expanded_size(root)
        return loader.construct_document(root)
    except InputLimitError as err:
        raise InputLimitError(f"{origin}: {err}") from None
    except UnicodeEncodeError:
        raise InputLimitError(f"{origin}: the text holds an invalid character (a lone "
                              "surrogate); save the scenario as UTF-8") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or getattr(err, "reason", None) or str(err)
        if "nesting depth" in str(problem):  # libyaml's own limit, met while reading ahead
            problem = f"nested more than {MAX_DEPTH} levels deep"
        raise InputLimitError(
            f"{origin}: not valid YAML{where}: {short_text(str(problem))}") from None
    finally:
        loader.dispose()  # also frees libyaml's parser state
