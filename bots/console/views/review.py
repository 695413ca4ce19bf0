"""要確認: the applications the bot could not key, and what staff do with each.

The list and the detail read :class:`bots.review.ReviewQueue` (the same service as
``renkei review``); every action calls its method with the signed-in person as ``who``,
so the checks (the bot's own rules for a correction, the procedure's 受付番号 format),
the status table and the audit line are exactly the CLI's. A refused action shows the
page again with the reason and everything the person typed (nothing is stored); a done
one says what happened and goes back to the list (to the application, after a
correction). Values are shown masked (``ReviewQueue.show``), reasons scrubbed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from bots.audit.history import ATTEMPT_OUTCOMES
from bots.audit.trail import JST
from bots.console.forms import CorrectionForm, build_form, shown_value
from bots.console.views.evidence import evidence_url
from bots.console.web import action, done, failed, installation, note, who
from bots.contracts import Status
from bots.errors import RecipeError, RenkeiError
from bots.masking import scrub_text
from bots.results import shot_caption, try_caption
from bots.review import (
    OPEN,
    ReviewDetail,
    ReviewError,
    ReviewItem,
    ReviewQueue,
    flat_items,
    item_label,
)

if TYPE_CHECKING:
    from bots.recipe.model import Recipe

bp = Blueprint("review", __name__, url_prefix="/review")

#: How many refused import rows the list shows (the count is of all).
REJECTIONS_SHOWN = 20
NO_NOTE = "理由・メモを入力してください（操作の記録に残ります）。何も変更していません"

Page = str | tuple[str, int]


def received(item: ReviewItem) -> datetime:
    """受付日時: stored as the management system gave it, in Japan time (not UTC)."""
    return item.received_at.replace(tzinfo=JST)


def caption(path: Path) -> str:
    """``02_needs_review.png`` → the caption staff read (要確認の画面 …)."""
    label = path.stem.split("_", 1)[1] if "_" in path.stem else path.stem
    return f"{shot_caption(label)}・{try_caption(path.parent.name)}"


def _queue() -> tuple[ReviewQueue, dict[str, Recipe]]:
    inst = installation()
    try:
        recipes, _broken = inst.recipes()
    except RecipeError:  # the shared 外字 list is broken: read the queue; the checks refuse
        recipes = {}
    return ReviewQueue(inst.db, inst.audit_dir, inst.settings.out_root, recipes), recipes


@bp.route("/")
def index() -> str:
    queue, recipes = _queue()
    procedure = (request.args.get("procedure") or "").strip() or None
    count, latest = queue.import_rejections(limit=REJECTIONS_SHOWN)
    return render_template(
        "review/index.html",
        title="要確認",
        items=queue.list(procedure),
        procedure=procedure or "",
        procedures=sorted(recipes),
        titles={p: r.title for p, r in recipes.items()},
        rejected_count=count,
        rejections=[replace(r, reason=scrub_text(r.reason)) for r in latest],
        received=received,
    )


@bp.route("/open")
def find() -> BaseResponse:
    """Open an application by its id (typed in the list's search box)."""
    app_id = (request.args.get("app_id") or "").strip()
    if not app_id:
        failed("申請IDを入力してください")
        return redirect(url_for("review.index"))
    return redirect(url_for("review.detail", app_id=app_id))


@bp.route("/<app_id>")
def detail(app_id: str) -> BaseResponse | Page:
    queue, recipes = _queue()
    try:
        shown = queue.show(app_id)
    except ReviewError as exc:
        return render_template("error.html", title="申請がありません", message=str(exc)), 404
    return _page(shown, recipes)


def _page(
    shown: ReviewDetail,
    recipes: Mapping[str, Recipe],
    *,
    acted: str = "",
    typed: Mapping[str, str] | None = None,
    problems: tuple[str, ...] = (),
    status: int = 200,
) -> Page:
    """The detail page; after a refused action, with what was typed into its form."""
    item = shown.item
    recipe = recipes.get(item.procedure)
    form: CorrectionForm | None = None
    if recipe is not None and item.status.value in OPEN:
        form = build_form(recipe, shown.data, typed if acted == "edit" else None)
    data_rows = [
        (item_label(recipe, p) if recipe else None, p, shown_value(v))
        for p, v in flat_items(shown.data).items()
    ]
    page = render_template(
        "review/detail.html",
        title=f"要確認 {item.id}",
        item=item,
        detail=shown,
        recipe=recipe,
        data_rows=data_rows,
        form=form,
        open=item.status.value in OPEN,
        undoable=item.status is Status.KEYED and item.keyed_by is not None,
        outcomes=ATTEMPT_OUTCOMES,
        shots=[(caption(p), evidence_url(p)) for p in shown.screenshots],
        received=received,
        acted=acted,
        typed=typed or {},
        problems=problems,
    )
    return (page, status) if status != 200 else page


def _refused(app_id: str, acted: str, message: str, problems: tuple[str, ...] = ()) -> Page:
    """The page again, the reason on top, what was typed kept; 422 (nothing stored)."""
    queue, recipes = _queue()
    failed(message)
    try:
        shown = queue.show(app_id)
    except ReviewError as exc:
        return render_template("error.html", title="申請がありません", message=str(exc)), 404
    return _page(shown, recipes, acted=acted, typed=request.form, problems=problems, status=422)


def _act(app_id: str, acted: str, run: Callable[[ReviewQueue, str], Any], said: str) -> Any:
    """Run one action with the typed note; the page again with the reason when refused."""
    text = note()
    if not text:
        return _refused(app_id, acted, NO_NOTE)
    queue, _ = _queue()
    try:
        run(queue, text)
    except ReviewError as exc:
        if exc.problems:
            message = (
                "申請データの不備が残っているため再実行できません。"
                "「訂正」で直してから連携待ちに戻してください: " + "／".join(exc.problems)
            )
            return _refused(app_id, acted, message, exc.problems)
        return _refused(app_id, acted, str(exc))
    except RenkeiError as exc:
        return _refused(app_id, acted, str(exc))
    done(said)
    return redirect(url_for("review.index"))


@bp.route("/<app_id>/edit", methods=["POST"])
@action("review")
def edit(app_id: str) -> BaseResponse | Page:
    """訂正: the changed items through ``ReviewQueue.edit`` (the bot's rules decide)."""
    queue, recipes = _queue()
    try:
        shown = queue.show(app_id)
    except ReviewError as exc:
        failed(str(exc))
        return redirect(url_for("review.index"))
    recipe = recipes.get(shown.item.procedure)
    if recipe is None:
        return _refused(app_id, "edit", f"手続 '{shown.item.procedure}' のレシピが読み込めません")
    changes = build_form(recipe, shown.data).edit(request.form)
    if not (changes.set or changes.unset):
        return _refused(app_id, "edit", "変更した項目がありません。訂正する値を入力してください")
    text = note()
    if not text:
        return _refused(app_id, "edit", NO_NOTE)
    try:
        changed = queue.edit(app_id, changes, text, who=who())
    except ReviewError as exc:
        if exc.problems:
            message = (
                "訂正後も申請データに不備があるため、保存していません。次の項目を直してください"
            )
            return _refused(app_id, "edit", message, exc.problems)
        return _refused(app_id, "edit", str(exc))
    except RenkeiError as exc:
        return _refused(app_id, "edit", str(exc))
    names = "、".join(c["label"] or c["item"] for c in changed)
    done(f"申請 {app_id} を訂正し、連携待ちに戻しました（{names}）。次の実行でボットが登録します")
    return redirect(url_for("review.detail", app_id=app_id))


@bp.route("/<app_id>/retry", methods=["POST"])
@action("review")
def retry(app_id: str) -> Any:
    """再実行: back to the bot (refused while the data still has its problems)."""
    said = f"申請 {app_id} を連携待ちに戻しました。次の実行でボットがもう一度登録します"
    return _act(app_id, "retry", lambda q, n: q.retry(app_id, n, who=who()), said)


@bp.route("/<app_id>/done", methods=["POST"])
@action("review")
def mark_done(app_id: str) -> Any:
    """手入力済: keyed by hand, with the 受付番号 the core system gave (format checked)."""
    receipt = (request.form.get("receipt_no") or "").strip() or None
    queue, _ = _queue()
    try:
        required = queue.receipt_required(app_id)
    except ReviewError as exc:
        return _refused(app_id, "done", str(exc))
    if receipt is None and required:
        return _refused(app_id, "done", "受付番号を入力してください。何も変更していません")
    shown = f"受付番号 {receipt}" if receipt else "受付番号なし"
    said = (
        f"申請 {app_id} を手入力で連携済にしました（{shown}）。"
        "誤りのときは「申請IDで開く」から取り消せます"
    )
    return _act(app_id, "done", lambda q, n: q.done(app_id, receipt, n, who=who()), said)


@bp.route("/<app_id>/reject", methods=["POST"])
@action("review")
def reject(app_id: str) -> Any:
    """対象外: not to be keyed (withdrawn, duplicate…)."""
    said = f"申請 {app_id} を対象外にしました（登録しません）"
    return _act(app_id, "reject", lambda q, n: q.reject(app_id, n, who=who()), said)


@bp.route("/<app_id>/undo", methods=["POST"])
@action("review")
def undo(app_id: str) -> Any:
    """取消: a mistaken 手入力済 taken back (the service refuses what the bot keyed)."""
    said = f"申請 {app_id} の手入力の連携済を取り消し、要確認に戻しました"
    return _act(app_id, "undo", lambda q, n: q.undo(app_id, n, who=who()), said)
