"""The console's pages, one blueprint per area (the menu follows this order).

* :mod:`.home` — ホーム: today's and recent runs, the queue, live progress (everyone);
* :mod:`.review` — 要確認: the exceptions and what staff do with them (業務担当);
* :mod:`.schedules` — スケジュール and カレンダー (業務担当, 情報政策);
* :mod:`.health` — レシピ・画面の状態, procedures on and off (情報政策);
* :mod:`.audit` — 監査: search, trails, verification, export (監査);
* :mod:`.charts` — グラフ: per day and per procedure (everyone);
* :mod:`.users` — アカウント (管理者);
* :mod:`.evidence` — the screenshots those pages show.
"""

from __future__ import annotations

from bots.console.views import audit, charts, evidence, health, home, review, schedules, users

BLUEPRINTS = [
    home.bp, review.bp, schedules.bp, health.bp, audit.bp, charts.bp, users.bp, evidence.bp,
]  # fmt: skip
