"""Server-side checks of the 児童手当 認定請求 entry form.

Every rule of the screen contract lives here, as plain functions over the submitted
strings, so the tests can reach each rule without a browser and the view stays thin. All
problems are gathered (a clerk fixes them in one go) and nothing is stored unless the list
is empty.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .wareki import WarekiError, WarekiProblem, from_wareki

MAX_CHILDREN = 10
MAX_NAME_LEN = 30
MAX_HOLDER_LEN = 30
MAX_REMARKS_LEN = 200

# The bank master of this mock (code → name); a real system holds the full 全銀 list.
BANKS: dict[str, str] = {
    "0001": "みずほ",
    "0005": "三菱UFJ",
    "0009": "三井住友",
    "0010": "りそな",
    "0017": "埼玉りそな",
    "0130": "常陽",
    "0131": "筑波",
    "9900": "ゆうちょ",
}
RELATIONS: tuple[str, ...] = ("子", "孫", "その他")
COHABITATIONS: tuple[str, ...] = ("同居", "別居")
ACCOUNT_TYPES: tuple[str, ...] = ("普通", "当座")
SPOUSE_CHOICES: tuple[str, ...] = ("あり", "なし")

_KANA_RE = re.compile(r"[\u30A1-\u30F6\u30FC\u3000]+")  # ァ-ヶ, ー, full-width space
_HOLDER_RE = re.compile(r"[\uFF66-\uFF9F ()\-.]+")  # ｦ-ﾟ, space, ( ) - .
_CHILD_KEY_RE = re.compile(r"child_(name|kana|era|year|month|day|relation|cohabit)_(\d+)")

_DATE_MESSAGES: dict[WarekiProblem, str] = {
    WarekiProblem.MISSING: "{item}を入力してください。",
    WarekiProblem.INVALID: "{item}が正しくありません。",
    WarekiProblem.NONEXISTENT: "{item}は存在しない日付です。",
    WarekiProblem.OUT_OF_ERA: "{item}は{era}の期間外の日付です。",
}


# --- what was typed (kept as strings so the form can come back exactly as entered) ---


@dataclass
class ChildRow:
    """One 児童 row as entered."""

    name: str = ""
    kana: str = ""
    era: str = ""
    year: str = ""
    month: str = ""
    day: str = ""
    relation: str = RELATIONS[0]
    cohabit: str = COHABITATIONS[0]

    def is_empty(self) -> bool:
        """A row is empty when nothing but the selects was touched; such rows after 1 are
        ignored, because the clerk may have pressed 児童を追加 once too often."""
        return not (self.name or self.kana or self.year or self.month or self.day)


@dataclass
class ClaimForm:
    """The whole entry form as entered (raw strings)."""

    atena_no: str = ""
    my_number: str = ""
    claim_era: str = ""
    claim_year: str = ""
    claim_month: str = ""
    claim_day: str = ""
    spouse: str = "なし"
    spouse_name: str = ""
    spouse_kana: str = ""
    spouse_era: str = ""
    spouse_year: str = ""
    spouse_month: str = ""
    spouse_day: str = ""
    children: list[ChildRow] = field(default_factory=lambda: [ChildRow()])
    bank_code: str = ""
    branch_code: str = ""
    account_type: str = ACCOUNT_TYPES[0]
    account_no: str = ""
    account_holder: str = ""
    remarks: str = ""
    too_many_children: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping[str, str]) -> ClaimForm:
        """Read a submitted form; single-line fields are trimmed, 備考 keeps its text."""

        def get(key: str, default: str = "") -> str:
            value = data.get(key)
            return default if value is None else value.strip()

        indexes = [
            int(m.group(2)) for key in data if (m := _CHILD_KEY_RE.fullmatch(key)) is not None
        ]
        last = max(indexes, default=1)
        rows = [
            ChildRow(
                name=get(f"child_name_{n}"),
                kana=get(f"child_kana_{n}"),
                era=get(f"child_era_{n}"),
                year=get(f"child_year_{n}"),
                month=get(f"child_month_{n}"),
                day=get(f"child_day_{n}"),
                relation=get(f"child_relation_{n}", RELATIONS[0]),
                cohabit=get(f"child_cohabit_{n}", COHABITATIONS[0]),
            )
            for n in range(1, min(last, MAX_CHILDREN) + 1)
        ]
        return cls(
            atena_no=get("atena_no"),
            my_number=get("my_number"),
            claim_era=get("claim_era"),
            claim_year=get("claim_year"),
            claim_month=get("claim_month"),
            claim_day=get("claim_day"),
            spouse=get("spouse", "なし"),
            spouse_name=get("spouse_name"),
            spouse_kana=get("spouse_kana"),
            spouse_era=get("spouse_era"),
            spouse_year=get("spouse_year"),
            spouse_month=get("spouse_month"),
            spouse_day=get("spouse_day"),
            children=rows,
            bank_code=get("bank_code"),
            branch_code=get("branch_code"),
            account_type=get("account_type"),
            account_no=get("account_no"),
            account_holder=get("account_holder"),
            remarks=(data.get("remarks") or "").replace("\r\n", "\n"),
            too_many_children=last > MAX_CHILDREN,
        )


# --- what gets stored ---


@dataclass(frozen=True)
class Spouse:
    """A validated 配偶者."""

    name: str
    kana: str
    birth_date: dt.date


@dataclass(frozen=True)
class Child:
    """A validated 児童."""

    name: str
    kana: str
    birth_date: dt.date
    relation: str
    cohabitation: str


@dataclass(frozen=True)
class Claim:
    """A validated 認定請求, ready to insert."""

    my_number: str
    claim_date: dt.date
    spouse: Spouse | None
    children: tuple[Child, ...]
    bank_code: str
    branch_code: str
    account_type: str
    account_no: str
    account_holder: str
    remarks: str


# --- single rules ---


def my_number_check_digit(first11: str) -> int:
    """Check digit of a 個人番号 (the formula of the 番号法 ordinance)."""
    total = 0
    for n in range(1, 12):
        p = int(first11[11 - n])
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    r = total % 11
    return 0 if r <= 1 else 11 - r


def is_valid_my_number(value: str) -> bool:
    """12 half-width digits whose last digit is the right check digit."""
    if not re.fullmatch(r"[0-9]{12}", value):
        return False
    return my_number_check_digit(value[:11]) == int(value[11])


def non_jis_chars(value: str) -> list[str]:
    """Characters outside JIS X 0208 (not encodable in Shift_JIS, or in its 外字 area).

    Each offending character is listed once, in order of appearance, so the message tells
    the clerk exactly what to look at (e.g. 髙 for 高).
    """
    bad: list[str] = []
    for ch in value:
        try:
            encoded = ch.encode("shift_jis")
        except UnicodeEncodeError:
            encoded = b""
        user_defined = len(encoded) == 2 and 0xF0 <= encoded[0] <= 0xF9
        if (not encoded or user_defined) and ch not in bad:
            bad.append(ch)
    return bad


def _check_name(item: str, value: str, errors: list[str]) -> None:
    if not value:
        errors.append(f"{item}を入力してください。")
        return
    if len(value) > MAX_NAME_LEN:
        errors.append(f"{item}は{MAX_NAME_LEN}文字以内で入力してください。")
    bad = non_jis_chars(value)
    if bad:
        errors.append(f"{item}に使用できない文字が含まれています（{'、'.join(bad)}）。")


def _check_kana(item: str, value: str, errors: list[str]) -> None:
    if not value:
        errors.append(f"{item}を入力してください。")
        return
    if len(value) > MAX_NAME_LEN:
        errors.append(f"{item}は{MAX_NAME_LEN}文字以内で入力してください。")
    if not _KANA_RE.fullmatch(value):
        errors.append(f"{item}は全角カタカナで入力してください。")


def _check_date(
    item: str, era: str, year: str, month: str, day: str, errors: list[str]
) -> dt.date | None:
    try:
        return from_wareki(era, year, month, day)
    except WarekiError as exc:
        errors.append(_DATE_MESSAGES[exc.problem].format(item=item, era=era))
        return None


def _check_digits(item: str, value: str, digits: int, errors: list[str]) -> bool:
    if not value:
        errors.append(f"{item}を入力してください。")
        return False
    if not re.fullmatch(f"[0-9]{{{digits}}}", value):
        errors.append(f"{item}は半角数字{digits}桁で入力してください。")
        return False
    return True


def _check_choice(item: str, value: str, choices: tuple[str, ...], errors: list[str]) -> None:
    if value not in choices:
        errors.append(f"{item}が正しくありません。")


# --- the whole form ---


def validate_claim(form: ClaimForm) -> tuple[Claim | None, list[str]]:
    """Check the form in screen order; return the claim only when there is no error."""
    errors: list[str] = []

    if not form.my_number:
        errors.append("個人番号を入力してください。")
    elif not is_valid_my_number(form.my_number):
        errors.append("個人番号が正しくありません。")

    claim_date = _check_date(
        "請求年月日", form.claim_era, form.claim_year, form.claim_month, form.claim_day, errors
    )

    spouse: Spouse | None = None
    _check_choice("配偶者の有無", form.spouse, SPOUSE_CHOICES, errors)
    if form.spouse == "あり":
        _check_name("配偶者氏名", form.spouse_name, errors)
        _check_kana("配偶者フリガナ", form.spouse_kana, errors)
        spouse_birth = _check_date(
            "配偶者生年月日",
            form.spouse_era,
            form.spouse_year,
            form.spouse_month,
            form.spouse_day,
            errors,
        )
        if spouse_birth is not None:
            spouse = Spouse(form.spouse_name, form.spouse_kana, spouse_birth)

    kids: list[Child] = []
    if form.too_many_children:
        errors.append(f"児童は{MAX_CHILDREN}人まで入力できます。")
    for n, row in enumerate(form.children, start=1):
        if n > 1 and row.is_empty():
            continue
        prefix = f"児童{n} "
        _check_name(prefix + "氏名", row.name, errors)
        _check_kana(prefix + "フリガナ", row.kana, errors)
        birth = _check_date(prefix + "生年月日", row.era, row.year, row.month, row.day, errors)
        _check_choice(prefix + "続柄", row.relation, RELATIONS, errors)
        _check_choice(prefix + "同別居", row.cohabit, COHABITATIONS, errors)
        if birth is not None:
            kids.append(Child(row.name, row.kana, birth, row.relation, row.cohabit))

    if _check_digits("金融機関コード", form.bank_code, 4, errors) and form.bank_code not in BANKS:
        errors.append("金融機関コードが存在しません。")
    _check_digits("支店コード", form.branch_code, 3, errors)
    _check_choice("預金種別", form.account_type, ACCOUNT_TYPES, errors)
    _check_digits("口座番号", form.account_no, 7, errors)
    if not form.account_holder:
        errors.append("口座名義（カナ）を入力してください。")
    else:
        if len(form.account_holder) > MAX_HOLDER_LEN:
            errors.append(f"口座名義（カナ）は{MAX_HOLDER_LEN}文字以内で入力してください。")
        if not _HOLDER_RE.fullmatch(form.account_holder):
            errors.append("口座名義（カナ）は半角カタカナで入力してください。")

    if len(form.remarks) > MAX_REMARKS_LEN:
        errors.append(f"備考は{MAX_REMARKS_LEN}文字以内で入力してください。")

    if errors or claim_date is None:
        return None, errors
    return (
        Claim(
            my_number=form.my_number,
            claim_date=claim_date,
            spouse=spouse,
            children=tuple(kids),
            bank_code=form.bank_code,
            branch_code=form.branch_code,
            account_type=form.account_type,
            account_no=form.account_no,
            account_holder=form.account_holder,
            remarks=form.remarks,
        ),
        errors,
    )
