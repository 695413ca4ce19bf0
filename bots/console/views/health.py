"""レシピ・画面: IT's page of the national plan's 26 procedures by 分野 (「レシピなし」 for
those not covered yet, then the recipes outside them) with each one's recipe, switch,
checks and runs, the stopped subsystems and the drift.

The same service as ``renkei procedures`` / ``renkei procedure …`` (:mod:`bots.procedures`):
今すぐ確認 records a check of every recipe, 停止 / 再開 switches one procedure with a
required note. Both are audited with the signed-in person.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from bots import procedures
from bots.console.web import action, done, failed, installation, note, who

bp = Blueprint("health", __name__, url_prefix="/health")


def _page(kept: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    """The page; ``kept`` holds a note typed into a form that was refused, to show again."""
    inst = installation()
    listed = procedures.catalogued(inst.settings, inst.db)
    found = listed.health
    by_element: dict[tuple[str, str], list[procedures.DriftEvent]] = {}
    for d in found.drift:
        by_element.setdefault((d.system, d.element), []).append(d)
    html = render_template(
        "health/index.html",
        title="レシピ・画面",
        listed=listed,
        other=procedures.OTHER,
        health=found,
        titles={p.procedure: p.title for g in listed.groups for p in g.procedures},
        by_element=by_element,
        kept=kept or {},
    )
    return html, status


@bp.route("/")
def index() -> tuple[str, int]:
    return _page()


@bp.route("/check", methods=["POST"])
@action("recipe_check")
def check() -> Response:
    inst = installation()
    checks = procedures.check(inst.settings, inst.db, inst.audit_dir, who())
    bad = [c for c in checks if not c.ok]
    if bad:
        failed(f"レシピを確認しました: 正常 {len(checks) - len(bad)} 件、不備 {len(bad)} 件")
    else:
        done(f"レシピを確認しました: すべて正常です（{len(checks)} 件）")
    return redirect(url_for("health.index"))


@bp.route("/procedure", methods=["POST"])
@action("procedure")
def switch() -> Response | tuple[str, int]:
    inst = installation()
    name = (request.form.get("procedure") or "").strip()
    turn_on = request.form.get("switch") == "enable"
    change = procedures.enable if turn_on else procedures.disable
    known = procedures.known_procedures(inst.settings, inst.db)
    try:
        made = change(inst.db, inst.audit_dir, name, note(), who(), known=known)
    except procedures.ProcedureError as exc:
        failed(str(exc))  # the page again, with the note as typed: nothing is lost
        return _page({name: request.form.get("note") or ""}, 400)
    what = "再開しました" if turn_on else "停止しました（この手続は実行されません）"
    done(f"手続 {name} を{what}: {made.text()}")
    return redirect(url_for("health.index"))
