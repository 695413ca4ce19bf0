"""The 介護保険 screens: frameset, menu, 被保険者検索, 認定申請 入力/登録, 照会, 主治医検索.

A legacy vendor's product: Shift_JIS pages in frames, table layouts without ids or labels,
meaningless input names, errors in JavaScript ``alert`` on page load and a pop-up master
lookup. The log-in guard of ``security.py`` covers these views like every other endpoint.
Rules are in ``validation.py``, queries in ``store.py``, names and texts in ``layout.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, abort, session
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response

from .. import faults
from ..services import STORE_KEY
from ..wareki import to_wareki
from . import schema, store, testing
from .layout import (
    CARE_LEVELS,
    ERA_CODES,
    KUBUN,
    KUBUN_NAMES,
    MADOGUCHI,
    RESIDENCES,
    Layout,
    layout_for,
)
from .legacy import js_quote, keep_raw_body, render_sjis, sjis_args, sjis_form
from .validation import HNO_RE, EntryForm, validate_entry

SUBSYSTEM = "kaigo"
NOT_FOUND = "該当する被保険者はありません。"
HNO_REQUIRED = "被保険者番号を入力してください。"
HNO_FORMAT = "被保険者番号は半角数字10桁で入力してください。"
INQUIRY_EMPTY = "被保険者番号または備考を入力してください。"
INQUIRY_NONE = "該当する申請はありません。"
DOCTOR_NONE = "該当する医療機関はありません。"

bp = Blueprint("kaigo", __name__, url_prefix="/kaigo", template_folder="templates")


@bp.record_once
def _on_register(state: BlueprintSetupState) -> None:
    """Create the kaigo tables on the app's engine; add the testing endpoints if asked."""
    schema.create(state.app.extensions[STORE_KEY].engine)
    if state.app.config.get("MOCK_CORE_TESTING"):
        testing.install(state.app)


@bp.url_value_preprocessor
def _before_guard(_endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Runs before every before_request hook: keep the raw Shift_JIS body readable."""
    keep_raw_body()


def _layout() -> Layout:
    return layout_for(faults.layout_variant(SUBSYSTEM))


def _page(template: str, layout: Layout, messages: Iterable[str] = (), **context: Any) -> Response:
    """Render a kaigo screen in Shift_JIS; ``messages`` become one alert on page load."""
    return render_sjis(
        f"kaigo/{template}",
        layout=layout,
        alert_text="\n".join(messages),
        js=js_quote,
        wareki=to_wareki,
        era_codes=ERA_CODES,
        kubun=KUBUN,
        kubun_names=KUBUN_NAMES,
        care_levels=CARE_LEVELS,
        residences=RESIDENCES,
        madoguchi_choices=MADOGUCHI,
        **context,
    )


def _hno_problem(hno: str) -> str | None:
    if not hno:
        return HNO_REQUIRED
    if not HNO_RE.fullmatch(hno):
        return HNO_FORMAT
    return None


@bp.route("/")
def index() -> Response:
    """The frameset: ``menu`` (left, 180px) and ``work`` (right)."""
    return _page("frameset.html", _layout())


@bp.route("/menu")
def menu() -> Response:
    """The menu frame."""
    return _page("menu.html", _layout())


@bp.route("/welcome")
def welcome() -> Response:
    """The first page of the work frame (お知らせ)."""
    return _page("welcome.html", _layout())


@bp.route("/search")
def search() -> Response:
    """被保険者検索 (GET form) by 被保険者番号; problems and no-hit come as an alert."""
    layout = _layout()
    args = sjis_args()
    name = layout.search["hno"]
    hno = args.get(name, "").strip()
    messages: list[str] = []
    results = None
    if name in args:
        problem = _hno_problem(hno)
        person = store.get_insured(hno) if problem is None else None
        if problem is not None:
            messages.append(problem)
        elif person is None:
            messages.append(NOT_FOUND)
        else:
            results = [person]
    return _page("search.html", layout, messages, hno=hno, results=results)


@bp.route("/nintei/new")
def nintei_new() -> Response:
    """The empty entry form for one 被保険者 (``?h=`` its number)."""
    layout = _layout()
    hno = sjis_args().get("h", "").strip()
    person = store.get_insured(hno) if HNO_RE.fullmatch(hno) else None
    if person is None:
        return _page("search.html", layout, [NOT_FOUND], hno=hno, results=None)
    form = EntryForm(hihokensha_no=hno)
    page = _page("entry.html", layout, form=form, person=person, n=layout.entry)
    faults.form_served(SUBSYSTEM)  # a pending layout switch lands while the form is open
    return page


@bp.route("/nintei", methods=["POST"])
def nintei_register() -> Response:
    """Validate and store; on error the form comes back as typed with one alert, unstored.

    Success answers the POST itself with the result screen (no redirect), as the vendor's
    product does: reloading it posts again and registers a second application. A post from
    an entry form of another layout (a vendor update while it was open) answers 409 and a
    register fault 500, before anything is read or written.
    """
    layout = _layout()
    if faults.form_is_stale(SUBSYSTEM, sjis_form().get("screen_version"), layout.version):
        abort(409, description=faults.STALE_FORM_TEXT)
    if faults.register_should_fail(SUBSYSTEM):
        abort(500)
    form = EntryForm.from_mapping(sjis_form(), layout)
    person = store.get_insured(form.hihokensha_no) if HNO_RE.fullmatch(form.hihokensha_no) else None
    application, errors = validate_entry(
        form,
        layout,
        insured_exists=person is not None,
        find_doctor=store.get_doctor,
        today=dt.date.today(),
    )
    if application is None or person is None:
        return _page("entry.html", layout, errors, form=form, person=person, n=layout.entry)
    receipt_no = store.insert_application(application, person, str(session["user_id"]))
    return _page(
        "result.html", layout, receipt_no=receipt_no, person=person, application=application
    )


@bp.route("/inquiry")
def inquiry() -> Response:
    """照会 by 被保険者番号 (exact) and/or 備考 (partial); never a full listing."""
    layout = _layout()
    args = sjis_args()
    values = {key: args.get(name, "").strip() for key, name in layout.inquiry.items()}
    messages: list[str] = []
    results = None
    if any(name in args for name in layout.inquiry.values()):
        if not values["hno"] and not values["remarks"]:
            messages.append(INQUIRY_EMPTY)
        elif values["hno"] and not HNO_RE.fullmatch(values["hno"]):
            messages.append(HNO_FORMAT)
        else:
            results = store.inquire(values["hno"], values["remarks"])
            if not results:
                messages.append(INQUIRY_NONE)
    return _page("inquiry.html", layout, messages, values=values, results=results)


@bp.route("/lookup/doctor")
def lookup_doctor() -> Response:
    """主治医検索 pop-up: the master, narrowed by a part of the 医療機関名."""
    layout = _layout()
    query = sjis_args().get("f01", "").strip()
    doctors = store.find_doctors(query)
    messages = [] if doctors else [DOCTOR_NONE]
    return _page("lookup_doctor.html", layout, messages, query=query, doctors=doctors)
