"""``docs/import.md``: how to write an import file, and every procedure's layout.

:func:`import_layout` turns one recipe's schema into the columns of a CSV/Excel file, the
JSON paths, labels, types and constraints of its items, its rules in the words of the form
and a JSON example; :func:`import_docs` puts them after :data:`IMPORT_INTRO`, the part of
the page that is the same for every procedure.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bots.docs.text import REGENERATE, cell, value_text
from bots.intake.importer import MAX_ITEMS
from bots.schema.loading import find_item, walk_items
from bots.schema.model import ItemSpec
from bots.schema.rules import Rule, as_paths
from bots.schema.validate import label_of

if TYPE_CHECKING:
    from bots.recipe.model import Recipe


@dataclass(frozen=True)
class LayoutRow:
    """One item as an import file addresses it."""

    path: str  # the schema path, list entries stepped into: children.name
    column: str  # the flat CSV/Excel column: children.1.name (objects and lists: "—")
    json_path: str  # children[].name
    label: str  # as the validator composes it: 児童1 氏名
    spec: ItemSpec
    within: str | None  # label of the optional object/list the item belongs to


def layout_rows(items: dict[str, ItemSpec]) -> Iterator[LayoutRow]:
    """Every item of a schema with its column, JSON path and composed label."""
    for path, spec in walk_items(items):
        column, json_path, indexed, within = [], [], [], None
        parts = path.split(".")
        for depth, part in enumerate(parts):
            here = find_item(items, ".".join(parts[: depth + 1]))
            column.append(part)
            json_path.append(part)
            indexed.append(part)
            if here is None or depth == len(parts) - 1:
                continue
            if here.type == "list":
                column.append("1")
                json_path[-1] += "[]"
                indexed.append("0")
            if not here.required and within is None:
                within = label_of(items, ".".join(indexed).removesuffix(".0"))
        leaf = spec.type not in ("object", "list")
        yield LayoutRow(
            path,
            ".".join(column) if leaf else "—",
            ".".join(json_path),
            label_of(items, ".".join(indexed)),
            spec,
            within,
        )


def _bounds(low: Any, high: Any, unit: str = "", *, dates: bool = False) -> str:
    if low is not None and high is not None:
        return f"{low}〜{high}{unit}"
    above, below = ("以降", "以前") if dates else ("以上", "以下")
    return f"{low}{unit}{above}" if low is not None else f"{high}{unit}{below}"


def constraints(row: LayoutRow, items: dict[str, ItemSpec]) -> str:
    """What the schema demands of the item, in the short words of the layout table."""
    spec, out = row.spec, []
    if spec.normalize:
        out.append("変換 " + "→".join(f"`{n}`" for n in spec.normalize))
    if spec.type == "list":
        high = spec.max_items if spec.max_items is not None else MAX_ITEMS
        out.append(f"{_bounds(spec.min_items, spec.max_items, '件')}")
        out.append(f"CSV の列は `{row.path}.1.…` の番号を 1 から {high} まで")
    if spec.min_length is not None or spec.max_length is not None:
        out.append(_bounds(spec.min_length, spec.max_length, "文字"))
    if spec.pattern is not None:
        out.append(f"形式 `{spec.pattern}`")
    if spec.type == "text" and spec.charset != "jis_x0208":
        out.append(f"文字 `{spec.charset}`")
    if spec.multiline:
        out.append("改行可")
    if spec.choices is not None:
        out.append("選択 " + "・".join(spec.choices))
    if spec.min is not None or spec.max is not None:
        out.append(_bounds(spec.min, spec.max, dates=spec.type == "date"))
    if spec.not_future:
        out.append("未来日不可")
    for attr, word in (("not_before", "以降"), ("not_after", "以前")):
        other = getattr(spec, attr)
        if other:
            out.append(f"{label_of(items, other)}{word}")
    if spec.sensitive:
        out.append("機密（表示はマスク）")
    return "、".join(out)


def _required_text(row: LayoutRow) -> str:
    if not row.spec.required:
        return "任意"
    # 医療保険の (a prefix label) reads 医療保険 in a sentence
    return f"必須（{row.within.removesuffix('の')}があるとき）" if row.within else "必須"


def _items_table(items: dict[str, ItemSpec]) -> list[str]:
    lines = [
        "| CSV の列 | JSON のパス | 項目名 | 型 | 必須 | 制約 | 例 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in layout_rows(items):
        column = f"`{row.column}`" if row.column != "—" else "—"
        label = (row.label or "—") + (f"（{row.spec.description}）" if row.spec.description else "")
        cells = [
            column,
            f"`{row.json_path}`",
            label,
            row.spec.type,
            _required_text(row),
            constraints(row, items),
            value_text(row.spec.example),
        ]
        lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    return lines


def _param_text(items: dict[str, ItemSpec], rule: Rule, name: str) -> str:
    """``keys: `kana, birth_date`（児童1 フリガナ・児童1 生年月日）``: the value, and the labels
    of the items it names, so a clerk can read the rule without the schema."""
    value = getattr(rule, name)
    cls = type(rule)
    shown = ", ".join(value_text(v) for v in value) if isinstance(value, list) else value
    paths: list[str] = []
    if name in cls.paths:
        paths = as_paths(value)
    elif name in cls.entry_paths:
        parents = [p for param in cls.entry_paths[name] for p in as_paths(getattr(rule, param))]
        paths = [f"{parent}.{key}" for parent in parents for key in as_paths(value)]
    labels = [label_of(items, _indexed(items, path)) for path in paths]
    suffix = f"（{'・'.join(labels)}）" if labels else ""
    return f"{name}: `{value_text(shown)}`{suffix}"


def _indexed(items: dict[str, ItemSpec], path: str) -> str:
    """``children.birth_date`` → ``children.0.birth_date`` (what label_of reads)."""
    parts, out = path.split("."), []
    for depth, part in enumerate(parts):
        out.append(part)
        here = find_item(items, ".".join(parts[: depth + 1]))
        if here is not None and here.type == "list" and depth < len(parts) - 1:
            out.append("0")
    return ".".join(out)


#: A rule in the words of the form, ``{param}`` being the labels of the items it names
#: (or its value). A rule without a line here is listed by its parameters only.
RULE_WORDS: dict[str, str] = {
    "required_if": "{when}が「{equals}」のとき、{item}は必須",
    "forbidden_if": "{when}が「{equals}」のとき、{item}は空欄",
    "allowed_if": "{when}が「{equals}」のとき、{item}は「{allowed}」のいずれか",
    "at_most_if": "{when}が「{equals}」のとき、{item}は{max}まで",
    "age_between": "{at}時点の年齢（{birth}から数える）が{min}〜{max}歳",
    "distinct_entries": "{items}に{keys}が同じ記載が二つない",
    "child_age_limit": "各{children}は{at}時点で{age}歳に達した後の最初の3月31日まで"
    "（{birth}から）",
    "account_holder_is_claimant": "{holder}は{claimant}本人の名義",
    "one_claimant": "{claimant}は1申請に1人: {spouse}・{children}に重ねて書かれていない"
    "（{kana}と{birth}で比較）",
    "parent_child_age_gap": "各{children}は{parents}より{min_years}歳以上年下"
    "（{relation}が「{relations}」なら{max_years}歳差まで）",
    "kaigo_insured_age": "{at}時点で65歳以上は第1号被保険者、40〜64歳（第2号）は{disease}と"
    "{insurer}が必要、40歳未満は対象外（{birth}から）",
    "kaigo_renewal_window": "{kubun}が「{renewal}」のとき、{at}は{valid_until}の{days_before}日前"
    "から満了日まで",
    "boshi_due_date": "{due}は{notified}より後で42週以内、{weeks}から見た予定日との差が"
    "{tolerance_days}日以内",
}


#: The words of a rule whose optional parameter is not given: {(rule, parameter): words}.
RULE_WORDS_WITHOUT: dict[tuple[str, str], str] = {
    ("required_if", "equals"): "{when}があるとき、{item}は必須",
    ("forbidden_if", "equals"): "{when}があるとき、{item}は空欄",
    ("allowed_if", "equals"): "{when}があるとき、{item}は「{allowed}」のいずれか",
    ("at_most_if", "equals"): "{when}があるとき、{item}は{max}まで",
    ("parent_child_age_gap", "relations"): "各{children}は{parents}より{min_years}〜"
    "{max_years}歳年下",
}


def rule_words(items: dict[str, ItemSpec], rule: Rule) -> str | None:
    """The rule in the words of the form (None for a rule without words here)."""
    name = type(rule).name
    words = RULE_WORDS.get(name)
    for (rule_name, param), without in RULE_WORDS_WITHOUT.items():
        if rule_name == name and getattr(rule, param) is None:
            words = without
    if words is None:
        return None
    return words.format(**{n: _word(items, rule, n) for n in type(rule).model_fields})


def _word(items: dict[str, ItemSpec], rule: Rule, name: str) -> str:
    """One parameter of a rule as :data:`RULE_WORDS` shows it: labels, or the value."""
    cls, value = type(rule), getattr(rule, name)
    if name in cls.paths:
        return "・".join(label_of(items, _indexed(items, p)) for p in as_paths(value))
    if name in cls.entry_paths:
        parents = as_paths(getattr(rule, cls.entry_paths[name][0]))
        specs = [find_item(items, f"{parents[0]}.{k}") for k in as_paths(value)] if parents else []
        return "・".join(s.label or "" for s in specs if s is not None)
    values = value if isinstance(value, list) else [value]
    return "・".join("はい" if v is True else "いいえ" if v is False else str(v) for v in values)


def _rules_list(items: dict[str, ItemSpec], rules: Iterable[Rule]) -> list[str]:
    lines = []
    for rule in rules:
        cls = type(rule)
        params = "; ".join(_param_text(items, rule, n) for n in cls.model_fields)
        link = f"[`{cls.name}`](recipe-application.md#{cls.name})"
        said = rule_words(items, rule)
        lines.append(f"- {said}。{link}: {params}" if said else f"- {link} — {params}")
    return lines or ["（なし）"]


def schema_example(items: dict[str, ItemSpec]) -> dict[str, Any]:
    """An application from the schema's ``example`` values (first choice where none)."""
    out: dict[str, Any] = {}
    for key, spec in items.items():
        value = _example_value(spec)
        if value is not None:
            out[key] = value
    return out


def _example_value(spec: ItemSpec) -> Any:
    if spec.example is not None:
        return spec.example
    if spec.type == "object" and spec.items is not None:
        inner = schema_example(spec.items)
        return inner if inner and spec.required else None
    if spec.type == "list" and spec.each is not None and spec.required:
        entry = _example_value(spec.each)
        return [entry] if entry is not None else None
    if spec.choices and spec.required:
        return spec.choices[0]
    return None


def import_layout(recipe: Recipe, example: Mapping[str, Any] | None = None) -> str:
    """The import layout of one procedure: columns, items, rules and an example.

    ``example`` is one application as a JSON import file holds it (id, procedure,
    atena_no, received_at, data); without it one is built from the schema's examples.
    """
    items = recipe.schema.items
    if example is None:
        example = {
            "id": "EX-0001",
            "procedure": recipe.procedure,
            "atena_no": "0000100001",
            "received_at": "2026-11-20T09:00:00",
            "data": schema_example(items),
        }
    receipt = (
        f"受付番号（基幹システム）: `{recipe.receipt.pattern}`"
        + (f"（例 {recipe.receipt.example}）" if recipe.receipt.example else "")
        if recipe.receipt is not None
        else "受付番号: 定義なし"
    )
    lines = [
        f"## {recipe.title}（`{recipe.procedure}`）",
        "",
        f"レシピ `recipes/{recipe.path.name}`。{receipt}。",
        "",
        f"固定の列: `id`、`procedure`（`{recipe.procedure}`）、`atena_no`、`received_at`、"
        "`status`（上の「固定の列」を参照）。",
        "",
        "### 申請項目",
        "",
        *_items_table(items),
        "",
        f"この手続の申請項目にない列・キーは `unknown_items: {recipe.schema.spec.unknown_items}` "
        "に従います。",
        "",
        "### 手続のルール（項目をまたぐ確認）",
        "",
        *_rules_list(items, recipe.schema.rules),
        "",
        "### JSON の例",
        "",
        "```json",
        json.dumps([example], ensure_ascii=False, indent=2),
        "```",
        "",
    ]
    return "\n".join(lines)


IMPORT_INTRO = """\
# 申請データの取り込み（`renkei import`）

<!-- Generated by `{regenerate}` from the recipes; do not edit by hand. -->

申請管理システムなどから出力した申請を、管理データベースに取り込みます。

```sh
renkei import applications.csv      # CSV（UTF-8 または Shift_JIS）
renkei import applications.xlsx     # Excel（.xlsx / .xlsm / .xls、最初のシート）
renkei import applications.json     # JSON（UTF-8）
```

各手続の正しい例が `examples/` にあります（`renkei import examples/jidou_teate_nintei.csv`）。

## ファイル形式

- **CSV**: UTF-8（BOM の有無は問いません）または Shift_JIS（cp932）。UTF-16・EUC-JP
  は文字化けを防ぐため読まずに、保存し直すよう案内します。1 行目が列名です。
- **Excel**: 最初のシートの 1 行目が列名。セルはすべて文字として読みます。
- **JSON**: 申請オブジェクトの配列 `[{{"id": …, "procedure": …, "atena_no": …,
  "received_at": …, "data": {{…}}}}]`。`data` は申請項目の JSON（下の各手続の「JSON
  のパス」）。

CSV と Excel の申請項目は、次のどちらかで書きます。

- `data` 列 1 つに申請項目の JSON を入れる。
- 申請項目ごとの列をドット区切りの名前で並べる（`applicant.kana`）。繰り返しの項目
  （児童など）は番号を挟み、1 から数えます（`children.1.name`、`children.2.name`、番号は
  最大 {max_items}）。空のセルは「入力なし」です。

## 固定の列

| 列 | 内容 |
| --- | --- |
| `id` | 申請ID（必須、64 文字まで、ファイル内・データベース内で重複不可） |
| `procedure` | 手続（レシピ）: {procedures} |
| `atena_no` | 宛名番号（必須、半角数字）。基幹システムで本人を検索する番号 |
| `received_at` | 受付日時（ISO 8601、例 `2026-11-20T09:00`）。空なら取り込んだ日時 |
| `status` | `received`・`identified`・`resolved` のいずれか。空なら `resolved`（処理済: ボットの入力対象） |

## 取り込めない行

ファイルは行ごとに確認します。取り込めた行はそのまま取り込み、取り込めない行は行番号
（Excel で見える番号: 列名が 1 行目。JSON は配列の何番目か）と理由を表示します。

```text
取り込み 2 件、不備 1 行
  applications.csv:3行目: 宛名番号 '12-34' は半角数字ではありません
```

不備が 1 行でもあれば終了コードは 2 です。直した行だけのファイルをもう一度取り込めます
（取り込み済みの申請IDは重複として表示され、二重には取り込まれません）。ファイル全体が
読めないとき（文字コード、形式、必要な列がない）は何も取り込みません。

取り込めなかった行は管理データベースにも記録され、`renkei import --report` で一覧でき、
`renkei review list` の末尾にも件数が出ます。

申請項目の内容（カナ、日付、個人番号、手続のルール）は、取り込みのときにも下の各手続の
申請項目の定義で確認します。不備のある申請は失われずに取り込まれ、ボットと同じ理由を
付けて要確認になります（基幹システムには入力しません）。定義にない項目は
「定義にない項目」として行ごとに表示し、申請とともに保存します（レシピが
`unknown_items: review` なら要確認）。

要確認・対象外の申請を訂正するには、直したデータで `renkei import --replace FILE`
（同じ規則で再確認し、変更した項目ごとに訂正前後を監査ログに記録）、または
`renkei review edit ID --set 項目=値 --note 理由` を使います。連携済の申請や、基幹システムに
登録された可能性のある申請は差し替えられません。
"""


def import_docs(recipes: Iterable[Recipe], examples: Mapping[str, list[dict[str, Any]]]) -> str:
    """``docs/import.md``: the introduction, then every procedure's layout."""
    ordered = sorted(recipes, key=lambda r: r.procedure)
    intro = IMPORT_INTRO.format(
        regenerate=REGENERATE,
        max_items=MAX_ITEMS,
        procedures="、".join(f"`{r.procedure}`（{r.title}）" for r in ordered),
    )
    parts = [intro]
    for recipe in ordered:
        apps = examples.get(recipe.procedure)
        parts.append(import_layout(recipe, apps[0] if apps else None))
    return "\n".join(parts).rstrip() + "\n"
