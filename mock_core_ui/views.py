"""The clerk screens: 業務メニュー, 宛名検索, 認定請求 登録/完了, 照会.

Views only read the request, call validation and the store, and render; every rule is in
``validation.py`` and every query in ``store.py``. The entry and inquiry screens come in the
layout variant chosen by the faults (``layouts.py``): fields are read back under their
standard names whatever the layout.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from .faults import (
    STALE_FORM_TEXT,
    form_is_stale,
    form_served,
    register_should_fail,
)
from .layouts import SUBSYSTEM, kosodate_layout
from .services import store
from .store import Resident
from .validation import ClaimForm, validate_claim
from .wareki import WarekiError, from_wareki

bp = Blueprint("views", __name__)

SEARCH_FIELDS = ("atena_no", "kana_name", "birth_era", "birth_year", "birth_month", "birth_day")
INQUIRY_FIELDS = ("inq_atena_no", "inq_remarks")
NO_RESIDENT = "宛名番号に該当する住民が見つかりません。"
REGISTER_FAILED = "システムエラーが発生しました。（E-500）しばらくしてから再度お試しください。"


@bp.route("/")
def index() -> Response:
    """The root just opens the menu (or the login screen via the guard)."""
    return redirect(url_for("views.menu"))


@bp.route("/menu")
def menu() -> str:
    """業務メニュー."""
    return render_template("menu.html")


@bp.route("/atena/search")
def atena_search() -> str:
    """宛名検索: needs 宛名番号 or カナ氏名; 生年月日 (all four parts) narrows further."""
    values = {key: request.args.get(key, "").strip() for key in SEARCH_FIELDS}
    submitted = any(key in request.args for key in SEARCH_FIELDS)
    errors: list[str] = []
    results = None
    if submitted:
        birth: dt.date | None = None
        parts = (
            values["birth_era"],
            values["birth_year"],
            values["birth_month"],
            values["birth_day"],
        )
        if any(parts):
            try:
                birth = from_wareki(*parts)
            except WarekiError:
                errors.append("生年月日が正しくありません。")
        if not values["atena_no"] and not values["kana_name"]:
            errors.append("宛名番号またはカナ氏名を入力してください。")
        if not errors:
            results = store().search_residents(values["atena_no"], values["kana_name"], birth)
    return render_template("atena_search.html", values=values, errors=errors, results=results)


@bp.route("/jidou/nintei/new")
def nintei_new() -> str:
    """The empty entry form for one resident (the claimant is taken from the 宛名)."""
    atena_no = request.args.get("atena_no", "").strip()
    resident = store().get_resident(atena_no) if atena_no else None
    if resident is None:
        abort(404, description=NO_RESIDENT)
    page = _entry(ClaimForm(atena_no=atena_no), resident, [])
    form_served(SUBSYSTEM)  # a pending layout switch lands while the form is open
    return page


def _entry(form: ClaimForm, resident: Resident, errors: list[str]) -> str:
    """The entry screen; its form carries the layout it was drawn in (``screen_version``)."""
    return render_template("nintei_entry.html", form=form, resident=resident, errors=errors)


@bp.route("/jidou/nintei", methods=["POST"])
def nintei_register() -> str | Response:
    """Validate and store a claim; on any error the form comes back as typed, nothing stored.

    A post from an entry screen of another layout (a vendor update while the form was
    open) answers 409, and a register fault (``register_500_rate``) 500, before any write.
    """
    layout = kosodate_layout()
    if form_is_stale(SUBSYSTEM, request.form.get("screen_version"), layout.name):
        abort(409, description=STALE_FORM_TEXT)
    if register_should_fail(SUBSYSTEM):
        abort(500, description=REGISTER_FAILED)
    form = ClaimForm.from_mapping(layout.to_standard(request.form))
    resident = store().get_resident(form.atena_no) if form.atena_no else None
    if resident is None:
        abort(404, description=NO_RESIDENT)
    claim, errors = validate_claim(form)
    if claim is None:
        return _entry(form, resident, errors)
    receipt_no = store().insert_claim(claim, resident, str(session["user_id"]))
    return redirect(url_for("views.nintei_result", receipt_no=receipt_no), code=303)


@bp.route("/jidou/nintei/result/<receipt_no>")
def nintei_result(receipt_no: str) -> str:
    """登録完了 with the 受付番号."""
    if not store().claim_exists(receipt_no):
        abort(404, description="指定された受付番号の認定請求はありません。")
    return render_template("nintei_result.html", receipt_no=receipt_no)


@bp.route("/jidou/inquiry")
def inquiry() -> str:
    """照会 by 宛名番号 (exact) and/or 備考 (partial); never a full listing."""
    args = kosodate_layout().to_standard(request.args)
    values = {key: args.get(key, "").strip() for key in INQUIRY_FIELDS}
    results = None
    if values["inq_atena_no"] or values["inq_remarks"]:
        results = store().inquire(values["inq_atena_no"], values["inq_remarks"])
    return render_template("inquiry.html", values=values, results=results, errors=[])
