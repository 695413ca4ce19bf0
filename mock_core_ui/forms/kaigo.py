"""The data-built procedures of the 介護保険 subsystem, in the legacy vendor's screens.

Shift_JIS pages in the ``work`` frame, inputs named ``f01``… by position and found by the
text of their item cell, every problem in one ``alert`` on page load, and 登録 answered by
the result screen itself (no redirect), as the vendor's 認定申請 screen does.
``/kaigo/forms/<procedure>/entry`` (被保険者番号 and 呼出 first), ``…/inquiry``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, session
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response

from .. import faults
from ..kaigo import store as kaigo_store
from ..kaigo.layout import ERA_BY_CODE, ERA_CODES, layout_for
from ..kaigo.legacy import js_quote, keep_raw_body, render_sjis, sjis_args, sjis_form
from ..kaigo.validation import HNO_RE
from ..services import STORE_KEY
from ..wareki import to_wareki
from . import check
from . import store as records
from .spec import FormSpec, all_specs

SUBSYSTEM = "kaigo"
NOT_FOUND = "該当する被保険者はありません。"
HNO_FORMAT = "被保険者番号は半角数字10桁で入力してください。"
INQUIRY_EMPTY = "被保険者番号または備考を入力してください。"
INQUIRY_NONE = "該当する申請はありません。"

bp = Blueprint("forms_kaigo", __name__, url_prefix="/kaigo/forms", template_folder="templates")


@bp.record_once
def _on_register(state: BlueprintSetupState) -> None:
    records.create(state.app.extensions[STORE_KEY].engine)


@bp.url_value_preprocessor
def _before_guard(_endpoint: str | None, _values: dict[str, Any] | None) -> None:
    keep_raw_body()


def _spec(procedure: str) -> FormSpec:
    spec = all_specs().get(procedure)
    if spec is None or spec.subsystem != SUBSYSTEM:
        abort(404)
    return spec


def input_names(spec: FormSpec) -> dict[str, str]:
    """Standard key → the vendor's input name (``f01``… in screen order)."""
    return {key: f"f{i:02d}" for i, key in enumerate(spec.keys, start=1)}


def _page(template: str, spec: FormSpec, messages: list[str], **context: Any) -> Response:
    return render_sjis(
        f"forms/{template}",
        spec=spec,
        layout=layout_for(faults.layout_variant(SUBSYSTEM)),
        alert_text="\n".join(messages),
        js=js_quote,
        wareki=to_wareki,
        era_codes=ERA_CODES,
        names=input_names(spec),
        **context,
    )


def _person(hno: str) -> Any:
    return kaigo_store.get_insured(hno) if HNO_RE.fullmatch(hno) else None


@bp.route("/<procedure>/entry")
def entry(procedure: str) -> Response:
    spec = _spec(procedure)
    hno = sjis_args().get("h", "").strip()
    person = _person(hno) if hno else None
    messages = []
    if hno and not HNO_RE.fullmatch(hno):
        messages.append(HNO_FORMAT)
    elif hno and person is None:
        messages.append(NOT_FOUND)
    return _page("kaigo_entry.html", spec, messages, hno=hno, person=person, raw={})


@bp.route("/<procedure>/entry", methods=["POST"])
def register(procedure: str) -> Response:
    """Check and store; on a problem the screen comes back as typed with one alert."""
    spec = _spec(procedure)
    if faults.register_should_fail(SUBSYSTEM):
        abort(500)
    posted = sjis_form()
    person = _person(posted.get("f00", "").strip())
    if person is None:
        return _page("kaigo_entry.html", spec, [NOT_FOUND], hno="", person=None, raw={})
    raw = {key: posted.get(name, "") for key, name in input_names(spec).items()}
    standard = {k: ERA_BY_CODE.get(v, v) if k.endswith("_era") else v for k, v in raw.items()}
    record, errors = check.validate(spec, standard, dt.date.today())
    if record is None:
        hno = person.hihokensha_no
        return _page("kaigo_entry.html", spec, errors, hno=hno, person=person, raw=raw)
    subject = (person.hihokensha_no, person.name)
    receipt_no = records.insert_record(
        spec.procedure, spec.receipt_prefix, subject, record, str(session["user_id"])
    )
    return _page("kaigo_result.html", spec, [], receipt_no=receipt_no, person=person)


@bp.route("/<procedure>/inquiry")
def inquiry(procedure: str) -> Response:
    """照会 by 被保険者番号 (exact) and/or 備考 (partial); never a full listing."""
    spec = _spec(procedure)
    args = sjis_args()
    values = {"hno": args.get("q1", "").strip(), "remarks": args.get("q2", "").strip()}
    messages: list[str] = []
    results = None
    if "q1" in args or "q2" in args:
        if not values["hno"] and not values["remarks"]:
            messages.append(INQUIRY_EMPTY)
        elif values["hno"] and not HNO_RE.fullmatch(values["hno"]):
            messages.append(HNO_FORMAT)
        else:
            results = records.inquire(procedure, values["hno"], values["remarks"])
            if not results:
                messages.append(INQUIRY_NONE)
    return _page("kaigo_inquiry.html", spec, messages, values=values, results=results)
