"""The 被保険者 the client knows: the same people as the web mock's 介護保険 subsystem.

The web mock learns its insured from the demo seed (``bots.demo.seed.seed_kaigo`` posts
``bots.demo.procedures.kaigo_dataset`` to ``/kaigo/_testing/insured``), and the 介護
procedures' demo applications (``bots/demo/applications/kaigo_*.py``) are theirs. So that
an application is keyable on web or desktop alike, the client loads the same list: from a
JSON file in the seed's shape (``--residents``), or else the demo's first N people,
generated the same deterministic way (imported only here, only when no file is given).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .store import Insured


def from_file(path: Path) -> list[Insured]:
    """A JSON list of objects with hihokensha_no, name, kana, birth_date (ISO), address…"""
    items: Any = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(items, list):
        raise ValueError(f"{path}: 被保険者の一覧（JSON の配列）ではありません")
    return [Insured.from_json(item) for item in items]


def demo(n: int) -> list[Insured]:
    """The 介護 demo's first ``n`` insured, exactly as the seed gives them to the web mock."""
    from bots.demo.procedures import kaigo_dataset

    return [Insured.from_json(person) for person, _ in kaigo_dataset(n)]


def load(path: Path | None, n: int) -> list[Insured]:
    return from_file(path) if path is not None else demo(n)
