"""What the console must never do, checked over every route and every page it has:

* the auditor changes nothing: every route that changes something is refused (403) to a
  direct POST with a valid session and CSRF token, and the management database is the
  same afterwards, while each attempt is in the audit log with the person;
* no page shows a sensitive value: every page reachable from the menu, as each role,
  crawled link by link, holds none of the seeded 個人番号 and 口座番号 in any form.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from console_helpers import console_server, make_users, run_bot, sign_in
from e2e_helpers import installation_settings, rows
from sqlalchemy import select
from test_masking_scan import _forms, _sensitive_values

from bots.config import Settings
from bots.console.app import create_app
from bots.console.auth import PUBLIC
from bots.console.roles import ACTIONS
from bots.demo.seed import seed
from bots.queue.db import Database
from bots.queue.schema import Base

#: Sample values for the routes' URL variables (a refused route never reaches its view).
SAMPLES = {"app_id": "JT-2026-000004", "name": "suzuki", "run_id": "x", "schedule_id": "run:x"}


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory, core_url: str) -> Settings:
    """Five 児童手当 applications keyed by a real run, one of them 要確認; four accounts."""
    from conftest import Core

    settings = installation_settings(tmp_path_factory.mktemp("console-security"), core_url)
    Core(core_url).reset()
    db = Database(settings.db_url)
    seed(db, 5, core_url, problems=True)
    run_bot(settings, db=db)
    make_users(settings, {"suzuki": "staff", "sato": "it", "tanaka": "auditor", "yamada": "admin"})
    return settings


@pytest.fixture(scope="module")
def url(installation: Settings) -> Iterator[str]:
    with console_server(installation) as running:
        yield running


def _changing_routes(settings: Settings) -> list[tuple[str, str, str]]:
    """(method, path, action) of every route that changes something, from the app itself."""
    app = create_app(settings)
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        name = getattr(view, "_renkei_action", None)
        for method in sorted((rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}):
            if name is not None and not ACTIONS[name].changes:
                continue  # signing out, verifying, exporting: nothing changes
            if rule.endpoint in PUBLIC or name == "own_password":
                continue  # signing in; one's own password: everyone's, the auditor's too
            path = rule.rule
            for var in rule.arguments:
                path = re.sub(rf"<(?:[^:>]+:)?{var}>", SAMPLES.get(var, "x"), path)
            found.append((method, path, name or "（宣言なし）"))
    return found


def _database_digest(settings: Settings) -> str:
    """Every row of every table, hashed; except the sessions (a request touches its own) and
    the audit anchors (each refusal is itself an audit line, anchored)."""
    db = Database(settings.db_url)
    digest = hashlib.sha256()
    with db.session() as s:
        for table in Base.metadata.sorted_tables:
            if table.name in ("console_sessions", "audit_anchors"):
                continue
            for row in s.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(json.dumps(list(row), default=str, ensure_ascii=False).encode())
    return digest.hexdigest()


def test_the_auditor_is_refused_every_route_that_changes_something(
    url: str, installation: Settings, console_page: Any
) -> None:
    routes = _changing_routes(installation)
    assert len(routes) >= 15, routes  # review, schedules, calendar, procedures, accounts …
    page = console_page
    sign_in(page, url, "tanaka")
    token = page.locator("meta[name=csrf-token]").get_attribute("content") or ""
    before = _database_digest(installation)
    allowed = []
    for method, path, _ in routes:
        response = page.request.fetch(
            url + path,
            method=method,
            form={"csrf_token": token, "note": "監査の試験", "receipt_no": "1"},
        )
        if response.status != 403:
            allowed.append((method, path, response.status))
    assert allowed == []
    assert _database_digest(installation) == before
    audit = [
        json.loads(line)
        for line in (Path(installation.audit_dir) / "review.jsonl").read_text().splitlines()
    ]
    refused = [a for a in audit if a["step"] == "console_refused" and a["by"] == "tanaka"]
    assert len(refused) == len(routes)


def _crawl(page: Any, url: str, secrets: set[str], extra: list[str]) -> tuple[int, list[str]]:
    """Every same-origin page linked from the home page (and ``extra``), breadth first."""
    todo, seen, leaks = ["/", *extra], set(), []
    while todo and len(seen) < 300:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(url + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        html = page.content()
        leaks += [f"{path}: {s}" for s in secrets if s in html]
        for href in page.eval_on_selector_all(
            "a[href]", "els => els.map(e => e.getAttribute('href'))"
        ):
            target = urlsplit(urljoin(url + path, href))
            if target.netloc != urlsplit(url).netloc or target.path.startswith(
                ("/static/", "/evidence/")
            ):
                continue
            if "export" in target.path and target.query:
                continue  # a download, not a page
            todo.append(target.path + (f"?{target.query}" if target.query else ""))
    return len(seen), leaks


@pytest.mark.parametrize("person", ["suzuki", "tanaka", "sato", "yamada"])
def test_no_page_shows_a_sensitive_value(
    url: str, installation: Settings, console_page: Any, person: str
) -> None:
    db = Database(installation.db_url)
    records = [{"data": r.data} for r in rows(db).values()]
    secrets = _forms(_sensitive_values(records))
    assert len(secrets) >= 10
    page = console_page
    sign_in(page, url, person)
    ids = sorted(rows(db))
    extra = [f"/review/{i}" for i in ids] + [f"/audit/applications/{i}" for i in ids]
    pages, leaks = _crawl(page, url, secrets, extra)
    assert pages >= 15
    assert leaks == []
