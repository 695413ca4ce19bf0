"""Running the steps that keep residents safe: 本人確認, 二重登録防止 and the register click.

Executors never catch errors: a missing element, a rejection or a mismatch propagates to
the engine, which alone maps it to an outcome. What each step means is its class in
:mod:`bots.steps.safety`.
"""

from __future__ import annotations

import re

from bots.engine.executors import Runtime, executes
from bots.errors import (
    BusinessError,
    CoreRejected,
    CoreUnavailable,
    IdentityMismatch,
    ScreenChanged,
    SessionExpired,
    TransientError,
)
from bots.steps.matching import describe, differences
from bots.steps.safety import FindExisting, Register, VerifyIdentity


@executes(VerifyIdentity)
def verify_identity(step: VerifyIdentity, rt: Runtime) -> None:
    shown = _shown(step, rt)
    accepted = []
    for element, template in step.checks:
        expected = template.render(rt.scope).strip()
        on_screen = shown.get(element.name, "").strip()
        label = step.labels.get(element.name, element.name)
        kinds = differences(on_screen, expected)
        if kinds is None:
            raise IdentityMismatch(
                f"基幹システムの{step.subject}と申請者が一致しません（{label}: "
                f"画面「{on_screen}」、申請「{expected}」）"
            )
        if kinds and not set(kinds) <= step.allowed.get(element.name, frozenset()):
            raise IdentityMismatch(
                f"本人確認で{label}が{describe(kinds)}を除いてしか一致しません。同じ人か確認してください"
                f"（画面「{on_screen}」、申請「{expected}」）"
            )
        if kinds:
            accepted.append(f"{label}: {describe(kinds)}を許容")
    detail = f"{len(step.checks)} items match" + (f" ({'; '.join(accepted)})" if accepted else "")
    rt.record(step, detail=detail)


def _shown(step: VerifyIdentity, rt: Runtime) -> dict[str, str]:
    """What the core system shows of the one resident found: exactly one row, or the
    single elements when the step reads no rows."""
    if step.rows is None:
        elements = [e for e, _ in step.checks]
        return dict(zip((e.name for e in elements), rt.driver.read_texts(elements), strict=True))
    found = rt.driver.read_rows(step.rows, {e.name: e for e, _ in step.checks})
    if not found:
        said = "／".join(rt.driver.take_alerts())
        raise IdentityMismatch(
            f"基幹システムに該当する{step.subject}が見つかりません"
            f"（{step.searched_by}を確認してください）",
            said or None,
        )
    if len(found) > 1:
        raise IdentityMismatch(
            f"基幹システムで{step.subject}が{len(found)}件該当し、一人に特定できません"
        )
    return found[0]


@executes(FindExisting)
def find_existing(step: FindExisting, rt: Runtime) -> None:
    tag = step.tag.render(rt.scope)
    columns = {"remarks": step.remarks}
    if step.receipt is not None:
        columns["receipt"] = step.receipt
    rows = rt.driver.read_rows(step.rows, columns)
    rt.driver.take_alerts()  # a legacy "nothing found" alert is an answer, not an error
    matches = [r.get("receipt", "").strip() for r in rows if tag in r["remarks"]]
    rt.record(step, detail=f"{len(matches)} existing")
    if len(matches) > 1:
        numbers = f"（受付番号 {', '.join(matches)}）" if any(matches) else ""
        raise BusinessError(
            f"基幹システムにこの申請が{len(matches)}件登録されています{numbers}。"
            "二重登録の可能性があります"
        )
    if matches:
        rt.existing_found(matches[0])


@executes(Register)
def register(step: Register, rt: Runtime) -> None:
    rt.before_register()
    # Every press and its answer is on record, whatever the answer: an error still
    # propagates unchanged (the engine maps it), but only after its line is written.
    rt.record(step, element=step.button, outcome="pressed", detail="登録ボタンを押します")
    try:
        messages = rt.driver.submit(step.button, step.confirm, step.success, step.errors)
    except Exception as exc:
        outcome, detail = answer(exc)
        rt.record(step, element=step.button, outcome=outcome, detail=detail)
        raise
    if messages:
        said = " / ".join(messages)
        rt.record(step, element=step.button, outcome="rejected", detail=said)
        raise CoreRejected("基幹システムが登録を受け付けませんでした", said)
    rt.record(step, element=step.button, outcome="accepted", detail="登録を受け付けました")
    # A success screen needs no expect_screen here: submit returned because its
    # marker appeared, which is all expect_screen would check again.


_HTTP_STATUS = re.compile(r"HTTP (\d{3})")


def answer(exc: Exception) -> tuple[str, str]:
    """The audit outcome and detail of a press of 登録 the core system did not answer with
    success or a rejection: an HTTP error (with its status), an expired session, a time-out,
    the system closed (503), an unexpected dialog (the screen changed), or anything else."""
    text = str(exc)
    status = _HTTP_STATUS.search(text)
    if isinstance(exc, SessionExpired):
        return "session_expired", text
    if isinstance(exc, CoreUnavailable):
        return "unavailable", text
    if isinstance(exc, ScreenChanged):
        return "screen_changed", text
    if isinstance(exc, TransientError) and status:
        return "http_error", f"HTTP {status.group(1)}: {text}"
    if isinstance(exc, TransientError):
        return "timeout", text
    return "error", f"{type(exc).__name__}: {text}"
