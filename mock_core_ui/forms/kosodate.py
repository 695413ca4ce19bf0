"""The data-built procedures of the 子育て subsystem, in that vendor's screens.

``/forms/<procedure>/entry``: 宛名番号 and 呼出 bring up the person's header, then the
procedure's items (its spec) and 登録; ``/forms/<procedure>/result/<受付番号>``;
``/forms/<procedure>/inquiry`` by 宛名番号 and/or 備考. The log-in guard, CSRF check and
faults of the rest of the subsystem apply here too.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response

from ..faults import register_should_fail
from ..layouts import SUBSYSTEM
from ..services import STORE_KEY, store
from . import check
from . import store as records
from .spec import FormSpec, all_specs

bp = Blueprint("forms_kosodate", __name__, url_prefix="/forms", template_folder="templates")

NO_RESIDENT = "宛名番号に該当する住民が見つかりません。"
REGISTER_FAILED = "システムエラーが発生しました。（E-500）しばらくしてから再度お試しください。"


@bp.record_once
def _on_register(state: BlueprintSetupState) -> None:
    records.create(state.app.extensions[STORE_KEY].engine)


def _spec(procedure: str) -> FormSpec:
    spec = all_specs().get(procedure)
    if spec is None or spec.subsystem != "kosodate":
        abort(404)
    return spec


@bp.route("/<procedure>/entry")
def entry(procedure: str) -> str:
    """The entry screen: the 呼出 box, and once called the header and the items."""
    spec = _spec(procedure)
    atena_no = request.args.get("atena_no", "").strip()
    resident = store().get_resident(atena_no) if atena_no else None
    errors = [NO_RESIDENT] if atena_no and resident is None else []
    return _entry(spec, atena_no, resident, {}, errors)


def _entry(spec: FormSpec, atena_no: str, resident: object, raw: dict, errors: list[str]) -> str:
    return render_template(
        "forms/kosodate_entry.html",
        spec=spec,
        atena_no=atena_no,
        resident=resident,
        raw=raw,
        errors=errors,
    )


@bp.route("/<procedure>/entry", methods=["POST"])
def register(procedure: str) -> str | Response:
    """Check and store; on any problem the screen comes back as typed with every message."""
    spec = _spec(procedure)
    if register_should_fail(SUBSYSTEM):
        abort(500, description=REGISTER_FAILED)
    raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
    atena_no = raw.get("atena_no", "").strip()
    resident = store().get_resident(atena_no) if atena_no else None
    if resident is None:
        abort(404, description=NO_RESIDENT)
    record, errors = check.validate(spec, raw, dt.date.today())
    if record is None:
        return _entry(spec, atena_no, resident, raw, errors)
    subject = (resident.atena_no, resident.name)
    receipt_no = records.insert_record(
        spec.procedure, spec.receipt_prefix, subject, record, str(session["user_id"])
    )
    return redirect(
        url_for("forms_kosodate.result", procedure=procedure, receipt_no=receipt_no), code=303
    )


@bp.route("/<procedure>/result/<receipt_no>")
def result(procedure: str, receipt_no: str) -> str:
    spec = _spec(procedure)
    if not records.exists(procedure, receipt_no):
        abort(404, description="指定された受付番号の申請はありません。")
    return render_template("forms/kosodate_result.html", spec=spec, receipt_no=receipt_no)


@bp.route("/<procedure>/inquiry")
def inquiry(procedure: str) -> str:
    """照会 by 宛名番号 (exact) and/or 備考 (partial); never a full listing."""
    spec = _spec(procedure)
    values = {k: request.args.get(k, "").strip() for k in ("inq_atena_no", "inq_remarks")}
    results = None
    if values["inq_atena_no"] or values["inq_remarks"]:
        results = records.inquire(procedure, values["inq_atena_no"], values["inq_remarks"])
    return render_template(
        "forms/kosodate_inquiry.html", spec=spec, values=values, results=results, errors=[]
    )
