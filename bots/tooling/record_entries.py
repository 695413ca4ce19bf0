"""What ``renkei record`` turns a recording into: selector entries, from the Python that
Playwright's recorder wrote (read with :mod:`ast`, never run) and the elements the page
reported as touched (id, label, text — never a value). See :mod:`bots.tooling.record`.
"""

from __future__ import annotations

import ast
import json
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bots.errors import RecipeError, RenkeiError
from bots.recipe.selectors import load_selectors

#: Locator methods of a page and the strategy each becomes.
LOCATOR_METHODS = (
    "get_by_role",
    "get_by_label",
    "get_by_text",
    "get_by_placeholder",
    "get_by_test_id",
    "get_by_title",
    "get_by_alt_text",
    "locator",
)
#: Actions on an element the recorder writes; the arguments (typed values) are never kept.
ACTIONS = (
    "click",
    "dblclick",
    "fill",
    "press",
    "press_sequentially",
    "type",
    "check",
    "uncheck",
    "set_checked",
    "select_option",
    "set_input_files",
    "hover",
    "focus",
    "clear",
)
#: Calls on the page (or the recorder's script around it) that name no element.
PAGE_CALLS = ("goto", "close", "go_back", "go_forward", "reload", "once", "on", "wait_for_url")
#: Words of a label that mark an element ``sensitive`` (masked, never logged).
SENSITIVE_WORDS = ("個人番号", "マイナンバー", "口座番号", "パスワード", "暗証")
#: Strategies in the order an entry tries them: the stable id first (see kosodate.yaml).
ORDER = ("css", "label", "role", "placeholder", "text", "xpath")

_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_SNAKE = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Strategy:
    """One strategy of an entry: ``kind`` as in the selector format, ``name`` for a role."""

    kind: str
    value: str
    name: str | None = None
    exact: bool = False

    def item(self) -> str | dict[str, Any]:
        """The strategy as one item of an element's list form."""
        if self.kind == "css":
            return self.value
        out: dict[str, Any] = {self.kind: self.value}
        if self.name is not None:
            out["name"] = self.name
        if self.exact:
            out["exact"] = True
        return out


@dataclass
class Entry:
    """One element the officer used: its strategies, what was done with it, a key."""

    strategies: list[Strategy]
    actions: list[str] = field(default_factory=list)
    key: str = ""
    note: str = ""  # the Japanese label or name, shown in a comment
    sensitive: bool = False


@dataclass
class Conversion:
    """What :func:`convert` made of a recording: entries, and the lines it could not read."""

    entries: list[Entry] = field(default_factory=list)
    unknown: list[tuple[int, str]] = field(default_factory=list)  # (line, scrubbed code)


# -- reading the recorded Python --------------------------------------------------------


class _Scrub(ast.NodeTransformer):
    """Blanks every string in the arguments of a call, so an unknown line is shown
    without what the officer typed or chose (a resident's name, a code)."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Attribute) and node.func.attr in ACTIONS:
            node.args = [ast.Constant("…") for _ in node.args]
            node.keywords = [ast.keyword(k.arg, ast.Constant("…")) for k in node.keywords]
        elif isinstance(node.func, ast.Attribute) and node.func.attr.startswith("to_"):
            node.args = [ast.Constant("…") for _ in node.args]
        return node


def _shown(node: ast.AST) -> str:
    return ast.unparse(_Scrub().visit(ast.parse(ast.unparse(node))))


def _text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def strategy_of(node: ast.expr) -> Strategy | None:
    """The strategy of one locator expression (``page.get_by_label("氏名")``), or None for
    a form the selector format cannot say (a chain, ``.nth()``, a regular expression)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    method, receiver = node.func.attr, node.func.value
    if method not in LOCATOR_METHODS or not isinstance(receiver, ast.Name):
        return None
    if len(node.args) != 1 or (value := _text(node.args[0])) is None or not value:
        return None
    options: dict[str, Any] = {}
    for kw in node.keywords:
        if not isinstance(kw.value, ast.Constant) or kw.arg not in ("name", "exact"):
            return None
        options[kw.arg] = kw.value.value
    exact = options.get("exact") is True
    name = options.get("name")
    if "name" in options and (method != "get_by_role" or not isinstance(name, str)):
        return None
    return _strategy(method, value, name, exact)


def _strategy(method: str, value: str, name: str | None, exact: bool) -> Strategy | None:
    if method == "get_by_role":
        return Strategy("role", value, name or None, exact and bool(name))
    simple = {"get_by_label": "label", "get_by_text": "text", "get_by_placeholder": "placeholder"}
    if method in simple:
        return Strategy(simple[method], value, exact=exact)
    attribute = {"get_by_test_id": "data-testid", "get_by_title": "title", "get_by_alt_text": "alt"}
    if method in attribute:
        match = "=" if exact or method == "get_by_test_id" else "*="
        quoted = json.dumps(value, ensure_ascii=False)
        return Strategy("css", f"[{attribute[method]}{match}{quoted}]")
    if value.startswith("xpath="):
        return Strategy("xpath", value.removeprefix("xpath="))
    if value.startswith(("//", "(//")):
        return Strategy("xpath", value)
    if value.startswith("text="):
        return Strategy("text", value.removeprefix("text=").strip('"'), exact=value[5:6] == '"')
    if value.startswith("internal:") or ">>" in value:
        return None
    return Strategy("css", value)


def _element_call(node: ast.expr) -> tuple[ast.expr, str] | None:
    """(locator, action) of ``LOCATOR.ACTION(...)`` or ``expect(LOCATOR).to_…(...)``."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    target, attr = node.func.value, node.func.attr
    if attr in ACTIONS:
        return target, attr
    if (
        attr.startswith("to_")
        and isinstance(target, ast.Call)
        and isinstance(target.func, ast.Name)
        and target.func.id == "expect"
        and len(target.args) == 1
    ):
        return target.args[0], "expect"
    return None


def _is_page_call(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.attr in PAGE_CALLS
    )


def _statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """The recorded steps: the body of the recorder's ``run`` function when there is one,
    with ``with page.expect_popup() …`` blocks opened."""
    runs = [s for s in body if isinstance(s, ast.FunctionDef) and s.name == "run"]
    for stmt in runs[0].body if runs else body:
        if isinstance(stmt, ast.With):
            yield from _statements(stmt.body)
        else:
            yield stmt


def _ignored(stmt: ast.stmt) -> bool:
    """The recorder's own frame around the steps: imports, launching, assignments of pages."""
    if isinstance(stmt, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.Pass):
        return True
    if isinstance(stmt, ast.Assign):
        value = stmt.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
            return value.func.attr in ("launch", "new_context", "new_page")
        return isinstance(value, ast.Attribute) and value.attr == "value"  # a pop-up's page
    return isinstance(stmt, ast.Expr) and _is_page_call(stmt.value)


def convert(code: str) -> Conversion:
    """Entries for every element a recording (Python, as codegen writes it) used, in the
    order first used; each unknown form as (line, the line with its strings blanked)."""
    result = Conversion()
    by_strategy: dict[Strategy, Entry] = {}
    for stmt in _statements(ast.parse(code).body):
        if _ignored(stmt):
            continue
        found = _element_call(stmt.value) if isinstance(stmt, ast.Expr) else None
        strategy = strategy_of(found[0]) if found else None
        if found is None or strategy is None:
            result.unknown.append((stmt.lineno, _shown(stmt)))
            continue
        entry = by_strategy.get(strategy)
        if entry is None:
            entry = by_strategy[strategy] = Entry([strategy])
            result.entries.append(entry)
        if found[1] not in entry.actions:
            entry.actions.append(found[1])
    return result


# -- what the page said about the elements touched ----------------------------------------

#: Runs in every page of the recording: reports each element the officer touches — its id,
#: label and visible text, never a typed value — through the ``__renkeiRecordSeen`` binding.
SEEN_SCRIPT = """(() => {
  if (window.__renkeiRecordWatching) return;
  window.__renkeiRecordWatching = true;
  const sent = new WeakSet();
  const controls = 'button, a, input, select, textarea, label, summary, [role], [id]';
  const info = (el) => {
    const tag = el.tagName.toLowerCase();
    const type = (el.getAttribute('type') || '').toLowerCase();
    const clickable = ['button', 'a', 'label', 'summary'].includes(tag) || el.hasAttribute('role');
    const labels = el.labels ? Array.from(el.labels) : [];
    return {
      id: el.id || '', tag, type, name: el.getAttribute('name') || '',
      label: labels.length ? labels[0].innerText.trim() : '',
      aria: (el.getAttribute('aria-label') || '').trim(),
      placeholder: el.getAttribute('placeholder') || '',
      title: el.getAttribute('title') || '',
      text: clickable ? (el.innerText || '').trim().slice(0, 80) : '',
      value: tag === 'input' && ['submit', 'button', 'reset'].includes(type) ? el.value : '',
    };
  };
  const seen = (event) => {
    const target = event.composedPath ? event.composedPath()[0] : event.target;
    if (!(target instanceof Element) || target.tagName.toLowerCase().startsWith('x-pw')) return;
    const el = target.closest(controls) || target;
    for (const one of el.control ? [el, el.control] : [el]) {
      if (sent.has(one)) continue;
      sent.add(one);
      window.__renkeiRecordSeen(info(one)).catch(() => {});
    }
  };
  for (const kind of ['pointerdown', 'click', 'input', 'change', 'focusin'])
    window.addEventListener(kind, seen, true);
})();"""

Seen = dict[str, str]


def _norm(text: str) -> str:
    return " ".join(text.split())


def _texts(seen: Seen, strategy: Strategy) -> list[str]:
    """What of the element the page reported ``strategy`` may have matched by."""
    fields = {
        "label": ("label", "aria"),
        "role": ("label", "aria", "text", "value", "title", "placeholder"),
        "text": ("text", "value", "label"),
        "placeholder": ("placeholder",),
    }.get(strategy.kind, ())
    return [_norm(seen.get(f, "")) for f in fields if seen.get(f)]


def matching(strategy: Strategy, seen: Sequence[Seen]) -> Seen | None:
    """The element reported by the page that ``strategy`` found: the same text, or else
    the only element containing it (the latest report when the page reported it twice)."""
    if strategy.kind == "css" and strategy.value.startswith("#"):
        return next((s for s in reversed(seen) if "#" + s.get("id", "") == strategy.value), None)
    wanted = _norm((strategy.name or "") if strategy.kind == "role" else strategy.value)
    if not wanted:
        return None
    same = [s for s in seen if wanted in _texts(s, strategy)]
    if same:
        return same[-1]
    if strategy.exact:
        return None
    containing = [s for s in seen if any(wanted in t for t in _texts(s, strategy))]
    ids = {s.get("id", "") or id(s) for s in containing}
    return containing[-1] if len(ids) == 1 else None


def snake(text: str) -> str:
    """An ASCII snake_case key from an id or a name attribute (``userId`` → ``user_id``);
    empty when nothing ASCII is left."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    key = _SNAKE.sub("_", text.lower()).strip("_")
    return f"e_{key}" if key[:1].isdigit() else key


def enrich(entries: Iterable[Entry], seen: Sequence[Seen]) -> None:
    """Put the touched element's id first and its label beside the recorded locator; mark
    an entry sensitive by its label; suggest its key (see :func:`name_entries`)."""
    for entry in entries:
        first = entry.strategies[0]
        found = matching(first, seen) or {}
        ident = found.get("id", "")
        if ident and _ID.match(ident) and first.kind != "css":
            entry.strategies.insert(0, Strategy("css", "#" + ident))
        label = _norm(found.get("label", ""))
        if label and not any(s.kind == "label" for s in entry.strategies):
            entry.strategies.append(Strategy("label", label, exact=True))
        entry.strategies.sort(key=lambda s: ORDER.index(s.kind) if s.kind in ORDER else 99)
        entry.note = label or _norm(found.get("aria", "")) or _note_of(first)
        words = " ".join([entry.note, *(s.name or s.value for s in entry.strategies)])
        entry.sensitive = found.get("type") == "password" or any(
            w in words for w in SENSITIVE_WORDS
        )
        usable = ident if _ID.match(ident) else ""
        entry.key = snake(usable) or snake(found.get("name", ""))


def _note_of(strategy: Strategy) -> str:
    if strategy.kind == "role":
        return strategy.name or ""
    return strategy.value if strategy.kind in ("label", "text", "placeholder") else ""


def name_entries(entries: Iterable[Entry]) -> None:
    """Keys for every entry: the id's (``#spouse_name`` → ``spouse_name``), else a
    provisional one by kind (``button_1``) for IT to rename; never twice the same."""
    used: set[str] = set()
    counts: dict[str, int] = {}
    for entry in entries:
        first = entry.strategies[0]
        key = entry.key
        if not key and first.kind == "css" and _ID.match(first.value[1:]):
            key = snake(first.value[1:])
        if not key:
            base = snake(first.value) if first.kind == "role" else "field"
            counts[base] = counts.get(base, 0) + 1
            key = f"{base}_{counts[base]}"
        unique, n = key, 1
        while unique in used:
            n += 1
            unique = f"{key}_{n}"
        used.add(unique)
        entry.key = unique


# -- the entries as YAML ------------------------------------------------------------------

ACTION_WORDS = {
    "click": "クリック",
    "dblclick": "ダブルクリック",
    "fill": "入力",
    "type": "入力",
    "press_sequentially": "入力",
    "press": "キー",
    "check": "チェック",
    "uncheck": "チェック解除",
    "set_checked": "チェック",
    "select_option": "選択",
    "set_input_files": "ファイル",
    "hover": "マウス",
    "focus": "フォーカス",
    "clear": "消去",
    "expect": "確認",
}


def _flow(value: Any) -> str:
    """One YAML flow value on one line (``['#x', {role: button, name: 登録}]``)."""
    text = yaml.safe_dump(
        [value], default_flow_style=True, allow_unicode=True, width=10**6, sort_keys=False
    )
    return text.strip()[1:-1]


def element_yaml(entry: Entry) -> str:
    """An entry's value in the selector format: a CSS string, a mapping, or the list form."""
    items = [s.item() for s in entry.strategies]
    if entry.sensitive:
        first = items[0]
        flagged: dict[str, Any] = {"css": first} if isinstance(first, str) else first
        flagged["sensitive"] = True
        items[0] = flagged
    return _flow(items[0] if len(items) == 1 else items)


def render(screen: str, url: str | None, entries: Sequence[Entry], header: Sequence[str]) -> str:
    """The screen with its elements, indented to be pasted under ``screens:``."""
    lines = [f"# {line}" for line in header]
    lines.append(f"  {screen}:")
    if url:
        lines.append(f"    url: {_flow(url)}")
    lines.append("    elements:")
    width = max((len(e.key) for e in entries), default=0)
    for entry in entries:
        done = "・".join(dict.fromkeys(ACTION_WORDS.get(a, a) for a in entry.actions))
        note = f"{entry.note}（{done}）" if entry.note else f"（{done}）"
        lines.append(f"      {entry.key + ':':<{width + 1}} {element_yaml(entry)}  # {note}")
    if not entries:
        lines.append("      {}  # 記録された要素はありません")
    return "\n".join(lines) + "\n"


def check_loads(system: str, snippet: str) -> None:
    """Load the entries as a screen of a selector file with the project's own loader, so
    what IT pastes is known to load; a failure is renkei's bug, reported as such."""
    text = f"system: {system}\nlogin: none\nscreens:\n{snippet}"
    with tempfile.TemporaryDirectory(prefix="renkei-record-") as folder:
        path = Path(folder) / f"{system}.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            load_selectors(path, f"（記録結果）{system}.yaml")
        except RecipeError as exc:
            raise RenkeiError(f"記録から作ったセレクタが読み込めません（不具合）: {exc}") from exc
