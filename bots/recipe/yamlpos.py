"""YAML loading that remembers where every node stands.

Errors in a recipe must read ``recipes/x.yaml:14:5: unknown step 'clik'``; PyYAML's node
tree has the marks, so we compose nodes and turn them into plain containers that carry
their :class:`~bots.errors.SourcePos`. Only the safe YAML subset is accepted: recipes are
data, never code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bots.errors import RecipeError, SourcePos


class LocStr(str):
    """A string scalar with its position."""

    pos: SourcePos


class LocDict(dict[str, Any]):
    """A mapping with its own position and the position of each key."""

    pos: SourcePos
    key_pos: dict[str, SourcePos]

    def pos_of(self, key: str) -> SourcePos:
        return self.key_pos.get(key, self.pos)


class LocList(list[Any]):
    """A sequence with its position."""

    pos: SourcePos


def pos_of(value: Any, default: SourcePos | None = None) -> SourcePos | None:
    """The position of a loaded value, if it carries one (ints and bools do not)."""
    return getattr(value, "pos", default)


def _mark(file: str, node: yaml.Node) -> SourcePos:
    return SourcePos(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _convert(file: str, node: yaml.Node) -> Any:
    pos = _mark(file, node)
    if isinstance(node, yaml.MappingNode):
        out = LocDict()
        out.pos, out.key_pos = pos, {}
        for key_node, value_node in node.value:
            key = _convert(file, key_node)
            if not isinstance(key, str):
                raise RecipeError("keys must be text", _mark(file, key_node))
            if key in out:
                raise RecipeError(f"duplicate key '{key}'", _mark(file, key_node))
            out[str(key)] = _convert(file, value_node)
            out.key_pos[str(key)] = _mark(file, key_node)
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LocList(_convert(file, item) for item in node.value)
        seq.pos = pos
        return seq
    assert isinstance(node, yaml.ScalarNode)
    value = _scalar(node)
    if isinstance(value, str):
        s = LocStr(value)
        s.pos = pos
        return s
    return value


def _scalar(node: yaml.ScalarNode) -> Any:
    """Resolve a scalar the way the safe loader would (ints, bools, null, text)."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def load_located(path: Path, display_name: str | None = None) -> Any:
    """Load one YAML document from ``path`` into located containers."""
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecipeError(f"cannot read file: {exc.strerror}", SourcePos(name, 1, 1)) from exc
    except UnicodeDecodeError as exc:
        raise RecipeError("file is not UTF-8", SourcePos(name, 1, 1)) from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = SourcePos(name, mark.line + 1, mark.column + 1) if mark else SourcePos(name, 1, 1)
        raise RecipeError(f"YAML syntax error: {exc.problem}", where) from exc
    if node is None:
        raise RecipeError("file is empty", SourcePos(name, 1, 1))
    return _convert(name, node)
