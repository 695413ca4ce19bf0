"""The client's screens, one function each that draws it into the main window.

ログイン → メニュー → 被保険者検索 → 入力 (→ 確認 → 結果) and メニュー → 照会.
docs/mock-desktop.md is the vendor's manual of them.
"""

from __future__ import annotations

from .entry import entry, result
from .inquiry import inquiry
from .login import login, menu
from .search import search

__all__ = ["entry", "inquiry", "login", "menu", "result", "search"]
