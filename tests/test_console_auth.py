"""Signing in to the console, in real Chromium against the real server: who gets in,
who is locked out, when a session ends, and that no form works without its CSRF token."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from console_helpers import PASSWORD, console_server, make_users, sign_in
from e2e_helpers import installation_settings
from sqlalchemy import select

from bots.config import Settings
from bots.queue.db import Database
from bots.queue.schema import ConsoleSessionRow, ConsoleUserRow


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = installation_settings(tmp_path_factory.mktemp("console-auth"), "http://127.0.0.1:9")
    make_users(
        settings,
        {"suzuki": "staff", "tanaka": "auditor", "sato": "it", "yamada": "admin", "kato": "staff"},
    )
    return settings


@pytest.fixture(scope="module")
def url(installation: Settings) -> Iterator[str]:
    with console_server(installation, RENKEI_CONSOLE_LOCK_AFTER="3") as running:
        yield running


def _audit_lines(settings: Settings) -> list[dict[str, Any]]:
    path = Path(settings.audit_dir) / "review.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_person_signs_in_sees_their_name_and_role_and_signs_out(
    url: str, installation: Settings, console_page: Any
) -> None:
    page = console_page
    page.goto(url + "/")
    assert "/login" in page.url  # nothing without signing in
    sign_in(page, url, "suzuki")
    assert page.get_by_test_id("signed-in").inner_text() == "suzuki さん（業務担当）"
    assert page.locator("h1").inner_text() == "ホーム"
    page.get_by_role("button", name="ログアウト").click()
    assert page.get_by_role("status").inner_text() == "ログアウトしました"
    page.goto(url + "/")
    assert "/login" in page.url
    steps = [(a["step"], a["by"], a["outcome"]) for a in _audit_lines(installation)]
    assert ("console_login", "suzuki", "ok") in steps
    assert ("console_logout", "suzuki", "ok") in steps


def test_wrong_passwords_lock_the_account_even_for_the_right_password(
    url: str, installation: Settings, console_page: Any
) -> None:
    page = console_page
    for _ in range(2):
        page.goto(url + "/login")
        page.get_by_label("ユーザー名").fill("kato")
        page.get_by_label("パスワード").fill("wrong-password-1")
        page.get_by_role("button", name="ログイン").click()
        assert page.get_by_role("alert").inner_text() == "ユーザー名またはパスワードが違います"
    page.get_by_label("パスワード").fill("wrong-password-1")
    page.get_by_role("button", name="ログイン").click()  # the 3rd (RENKEI_CONSOLE_LOCK_AFTER=3)
    assert "アカウントをロックしました" in page.get_by_role("alert").inner_text()
    page.get_by_label("パスワード").fill(PASSWORD)  # the right one: still refused
    page.get_by_role("button", name="ログイン").click()
    assert "アカウントをロックしました" in page.get_by_role("alert").inner_text()
    assert page.get_by_test_id("signed-in").count() == 0
    db = Database(installation.db_url)
    with db.session() as s:
        row = s.get(ConsoleUserRow, "kato")
        assert row is not None and row.locked_until is not None and row.failed_logins == 3
    lines = [a for a in _audit_lines(installation) if a["by"] == "kato"]
    assert [a["step"] for a in lines][-2:] == ["console_lock", "console_login"]
    assert lines[-1]["outcome"] == "locked"
    # the administrator unlocks: the right password works again
    from bots.console.accounts import unlock

    unlock(db, installation.audit_dir, "kato", by="yamada")
    sign_in(page, url, "kato")
    assert page.get_by_test_id("signed-in").is_visible()


def test_an_unknown_name_is_refused_and_not_written_to_the_audit_log(
    url: str, installation: Settings, console_page: Any
) -> None:
    page = console_page
    page.goto(url + "/login")
    page.get_by_label("ユーザー名").fill("hunter2-oops")  # a password typed into the name field
    page.get_by_label("パスワード").fill("x")
    page.get_by_role("button", name="ログイン").click()
    assert page.get_by_role("alert").inner_text() == "ユーザー名またはパスワードが違います"
    text = (Path(installation.audit_dir) / "review.jsonl").read_text(encoding="utf-8")
    assert "hunter2-oops" not in text
    assert _audit_lines(installation)[-1]["detail"] == "登録されていないユーザー名"


def test_an_idle_session_ends_and_the_page_says_why(
    url: str, installation: Settings, console_page: Any
) -> None:
    page = console_page
    sign_in(page, url, "sato")
    db = Database(installation.db_url)
    with db.session() as s:  # 31 minutes without a request (RENKEI_CONSOLE_IDLE_MIN 30)
        for row in s.execute(
            select(ConsoleSessionRow).where(
                ConsoleSessionRow.user == "sato", ConsoleSessionRow.ended_at.is_(None)
            )
        ).scalars():
            row.last_seen -= timedelta(minutes=31)
    page.goto(url + "/schedules/")
    assert "/login" in page.url
    assert "一定時間操作がなかったため" in page.get_by_role("alert").inner_text()
    with db.session() as s:
        ended = (
            s.execute(select(ConsoleSessionRow).where(ConsoleSessionRow.user == "sato"))
            .scalars()
            .all()
        )
        assert [r.ended_why for r in ended] == ["timeout"]
    # signing in again returns to the page asked for
    page.get_by_label("ユーザー名").fill("sato")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_test_id("signed-in").wait_for()
    assert re.search(r"/schedules/$", page.url)


def test_a_form_without_its_csrf_token_changes_nothing(
    url: str, installation: Settings, console_page: Any
) -> None:
    page = console_page
    sign_in(page, url, "yamada")
    # the signed-in browser posts to the password form without the token, as another site would
    response = page.request.post(
        url + "/password",
        form={"current": PASSWORD, "new": "another-pass-123", "again": "another-pass-123"},
    )
    assert response.status == 400
    assert "フォームの確認用の情報がないか" in response.text()
    sign_in(page, url, "yamada")  # the old password still works: nothing changed


def test_the_log_in_page_refuses_a_post_from_elsewhere(url: str) -> None:
    request = urllib.request.Request(
        url + "/login", data=b"name=suzuki&password=" + PASSWORD.encode(), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
