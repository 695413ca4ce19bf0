"""Who may do what in the console: the four roles and one table of actions.

Every route names the action it performs (:func:`bots.console.web.action`); the guard in
:mod:`bots.console.auth` looks the action up here before the view runs, so a refused
action is refused the same way from a button, a bookmarked URL or a hand-made POST. A
route that names no action is refused when it changes anything (fail closed).

* 業務担当 (staff) — the 要確認 queue, schedules, the calendar;
* 情報政策 (IT) — recipe and selector health, procedures on and off, schedules, calendar;
* 監査 (auditor) — reads everything, runs the verification, exports; changes nothing;
* 管理者 (admin) — the console's accounts.

Everyone signed in may read the pages and change their own password.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    STAFF = "staff"
    IT = "it"
    AUDITOR = "auditor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.STAFF: "業務担当",
    Role.IT: "情報政策",
    Role.AUDITOR: "監査",
    Role.ADMIN: "管理者",
}

EVERYONE = frozenset(Role)


@dataclass(frozen=True)
class Action:
    """What a route does: who may, and whether it changes anything (audited, refused to
    the auditor whatever the table says)."""

    label: str
    roles: frozenset[Role]
    changes: bool


ACTIONS: dict[str, Action] = {
    "view": Action("閲覧", EVERYONE, False),
    "own_password": Action("自分のパスワード変更", EVERYONE, True),
    "review": Action(
        "要確認の処理（訂正・再実行・手入力済・対象外）", frozenset({Role.STAFF}), True
    ),
    "schedule": Action("スケジュールの変更", frozenset({Role.STAFF, Role.IT}), True),
    "calendar": Action("閉庁日・稼働時間の変更", frozenset({Role.STAFF, Role.IT}), True),
    "procedure": Action("手続の有効・無効", frozenset({Role.IT}), True),
    "recipe_check": Action("レシピの確認", frozenset({Role.IT}), True),
    "verify": Action("監査記録の検証", frozenset({Role.AUDITOR, Role.IT, Role.ADMIN}), False),
    "export": Action("監査記録の出力", frozenset({Role.AUDITOR, Role.IT}), False),
    "accounts": Action("アカウントの管理", frozenset({Role.ADMIN}), True),
}


def allowed(role: Role, action: str) -> bool:
    """Whether ``role`` may perform ``action``; unknown actions are refused."""
    found = ACTIONS.get(action)
    if found is None:
        return False
    if found.changes and role is Role.AUDITOR and action != "own_password":
        return False  # the auditor reads; no table entry can change that
    return role in found.roles
