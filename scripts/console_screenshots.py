"""Pictures of the console's main pages for the README and docs/console.md.

Builds a throw-away demo installation (mock core system, the demo's applications, one
real run, a schedule, the demo accounts), serves the console on loopback and photographs
each page in Debian's Chromium as the role that uses it. Run from the checkout:

    .venv/bin/python scripts/console_screenshots.py      # writes docs/images/console-*.png
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "images"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="renkei-shots-"))
    os.environ["RENKEI_KEY_DIR"] = str(work / "keys")
    from waitress.server import create_server

    from bots.config import Settings
    from bots.console.app import create_app
    from bots.demo.console import DEMO_PASSWORD, ensure_demo_accounts
    from bots.demo.mockserver import mock_core
    from bots.demo.seed import seed, seed_boshi, seed_kaigo
    from bots.drivers.browser import launch_chromium
    from bots.queue.db import Database
    from bots.scheduling.store import add_schedule
    from bots.scheduling.words import parse_when
    from bots.service import run_once

    core_url = f"http://127.0.0.1:{_free_port()}"
    settings = Settings(
        root=ROOT, db_url=f"sqlite:///{work / 'renkei.db'}", core_url=core_url,
        out_root=work / "runs", audit_dir=work / "audit",
    )  # fmt: skip
    db = Database(settings.db_url)
    with mock_core(core_url, work / "core.db"):
        seed(db, 20, core_url)
        seed_kaigo(db, 5, core_url)
        seed_boshi(db, 10)
        run_once(settings, db=db)
        by = "demo-staff"
        add_schedule(db, None, parse_when("平日 18:00"), by=by, audit_dir=settings.audit_dir)
        ensure_demo_accounts(db, settings)
        server = create_server(create_app(settings), host="127.0.0.1", port=0, threads=4)
        url = f"http://127.0.0.1:{getattr(server, 'effective_port', 0)}"
        threading.Thread(target=server.run, daemon=True).start()
        review_id = _first_review(db)
        pages = [
            ("demo-staff", "/", "console-home.png"),
            ("demo-staff", "/review/", "console-review.png"),
            ("demo-staff", f"/review/{review_id}", "console-review-detail.png"),
            ("demo-staff", "/schedules/", "console-schedules.png"),
            ("demo-staff", "/schedules/calendar", "console-calendar.png"),
            ("demo-it", "/health/", "console-health.png"),
            ("demo-audit", f"/audit/applications/{review_id}", "console-audit-trail.png"),
            ("demo-audit", "/charts/", "console-charts.png"),
        ]
        with launch_chromium(settings.chromium) as browser:
            for person, path, name in pages:
                context = browser.new_context(
                    locale="ja-JP", viewport={"width": 1360, "height": 900}
                )
                page = context.new_page()
                page.goto(url + "/login")
                page.get_by_label("ユーザー名").fill(person)
                page.get_by_label("パスワード").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="ログイン").click()
                page.get_by_test_id("signed-in").wait_for()
                page.goto(url + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / name), full_page=False)
                context.close()
                print(f"{OUT / name}")  # noqa: T201 - the script's output: what it wrote
        server.close()
    return 0


def _first_review(db: object) -> str:
    from sqlalchemy import select

    from bots.queue.schema import ApplicationRow

    with db.session() as s:  # type: ignore[attr-defined]
        found = (
            s.execute(
                select(ApplicationRow.id)
                .where(ApplicationRow.status == "needs_review")
                .order_by(ApplicationRow.id)
            )
            .scalars()
            .first()
        )
    return str(found)


if __name__ == "__main__":
    sys.exit(main())
