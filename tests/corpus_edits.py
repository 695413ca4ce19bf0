"""Editing a seeded application the way a corpus case describes: paths into its data.

Shared by the corpus tests (tests/test_bad_input.py, tests/test_schema_corpus.py): a path
is dotted, list positions 0-based (``children.0.birth_date`` = the first child).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any


def case_ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def path_parts(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.split(".")]


def get_path(data: Any, path: str) -> Any:
    node = data
    for part in path_parts(path):
        node = node[part]
    return node


def parent_of(data: Any, path: str) -> tuple[Any, str | int]:
    *head, last = path_parts(path)
    node = data
    for part in head:
        node = node[part]
    return node, last


def set_path(data: Any, path: str, value: Any) -> None:
    node, last = parent_of(data, path)
    node[last] = copy.deepcopy(value)


def delete_path(data: Any, path: str) -> None:
    node, last = parent_of(data, path)
    del node[last]


def convert_path(data: Any, path: str, convert: Callable[[str], str]) -> None:
    node, last = parent_of(data, path)
    node[last] = convert(node[last])
