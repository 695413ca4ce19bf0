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

from bots.errors import RecipeError, RecipeErrors, SourcePos


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


def _convert(file: str, node: yaml.Node, problems: list[RecipeError]) -> Any:
    """Plain located containers; a duplicate or non-text key is a problem (the first value
    is kept, so the rest of the file is still checked)."""
    pos = _mark(file, node)
    if isinstance(node, yaml.MappingNode):
        out = LocDict()
        out.pos, out.key_pos = pos, {}
        for key_node, value_node in node.value:
            key = _convert(file, key_node, problems)
            if not isinstance(key, str):
                problems.append(RecipeError("keys must be text", _mark(file, key_node)))
            elif key in out:
                first = out.key_pos[key]
                problems.append(
                    RecipeError(
                        f"duplicate key '{key}' (also on line {first.line}: YAML would keep "
                        "only the last one)",
                        _mark(file, key_node),
                    )
                )
            else:
                out[str(key)] = _convert(file, value_node, problems)
                out.key_pos[str(key)] = _mark(file, key_node)
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LocList(_convert(file, item, problems) for item in node.value)
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
    """Load one YAML document from ``path`` into located containers; raise every
    duplicate key at once (see :func:`read_located` to go on checking past them)."""
    node, problems = read_located(path, display_name)
    if problems:
        raise RecipeErrors.of(problems)
    return node


def read_located(path: Path, display_name: str | None = None) -> tuple[Any, list[RecipeError]]:
    """The located document and its key problems; a file that cannot be read or parsed
    at all raises (nothing after a YAML syntax error can be trusted)."""
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
        raise RecipeError(_syntax_message(exc, text), where) from exc
    if node is None:
        raise RecipeError("file is empty", SourcePos(name, 1, 1))
    problems: list[RecipeError] = []
    return _convert(name, node, problems), problems


#: PyYAML's words for the structural mistakes people make, and what to do about each.
_SYNTAX_HINTS = (
    ("found character '\\t'", "YAML indents with spaces: replace the tab with spaces"),
    (
        "mapping values are not allowed here",
        "a ':' inside a value (put the value in quotes) or a key indented deeper than the "
        "keys beside it",
    ),
    (
        "could not find expected ':'",
        "a line that is neither 'key: value' nor '- item' (a missing ':' after a key?)",
    ),
    (
        "expected <block end>",
        "this line is not aligned with the lines above it: keys of one mapping, and the "
        "'- ' of one list, start in the same column",
    ),
    ("found unexpected end of stream", "a quote or bracket is opened and never closed"),
    ("did not find expected key", "this line is not aligned with the keys above it"),
    (
        "did not find expected '-' indicator",
        "list items of one list start with '- ' in the same column",
    ),
    ("found undefined alias", "'*' starts a YAML alias: put a value starting with '*' in quotes"),
    ("found unhashable key", "a key that is a list or mapping: put it in quotes"),
)


def _syntax_message(exc: yaml.MarkedYAMLError, text: str) -> str:
    """``YAML syntax error: <PyYAML's words> (hint: <what to do>)``."""
    problem = str(exc.problem or "")
    context = str(exc.context or "")
    mark = exc.problem_mark
    opened = _unclosed_quote(text, mark.line if mark else len(text.splitlines()))
    if opened and ("found '<scalar>'" in problem or "end of stream" in problem):
        return (
            f"YAML syntax error: {problem} (hint: the quote opened on line {opened} is not closed)"
        )
    for words, hint in _SYNTAX_HINTS:
        if words in problem or words in context:
            return f"YAML syntax error: {problem} (hint: {hint})"
    return f"YAML syntax error: {problem}"


def _unclosed_quote(text: str, before_line: int) -> int | None:
    """The last line (1-based) before ``before_line`` with an odd number of ``"`` outside
    a comment: where a quoted value most likely runs on into the lines after it."""
    found = None
    for number, line in enumerate(text.splitlines()[: before_line + 1], start=1):
        body = line.replace('\\"', "")
        if "#" in body and body.count('"', 0, body.index("#")) % 2 == 0:
            body = body[: body.index("#")]
        if body.count('"') % 2:
            found = number
    return found
