"""健康管理システム（予防接種）: a fourth vendor's product, at ``/yobou``.

No log-in, no inquiry screen, no receipt number; code lists in selects and radios, 和暦
selects, 全角-only fields and a confirm page. Screen manual: ``docs/mock-core-yobou.md``.
``mount`` is called by ``mock_core_ui.app.create_app``.
"""

from __future__ import annotations

from .views import mount

__all__ = ["mount"]
