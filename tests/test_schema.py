"""The application schema: loading errors with file:line, item checks, rules, 本人確認 matching.

Everything here is checked without a browser, on the repository's own recipes (copied into
a temporary folder where a test spoils one line). The end-to-end proof that none of these
applications reaches the core system is tests/test_bad_input.py and tests/test_schema_corpus.py.
"""

from __future__ import annotations

import copy
import json
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from bots.config import Settings
from bots.contracts import Status
from bots.demo.fake import make_dataset
from bots.demo.procedures import boshi_application, kaigo_dataset
from bots.errors import RecipeError
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow
from bots.recipe.model import Recipe, load_all, load_recipe
from bots.schema.law import first_march_31_from, reaching_day
from bots.schema.rules import age_on
from bots.service import load_recipes, run_once
from bots.steps.matching import differences

TODAY = date(2026, 12, 1)
RECIPE = "recipes/jidou_teate_nintei.yaml"


@pytest.fixture(scope="module")
def recipes() -> dict[str, Recipe]:
    return load_recipes(Settings(root=ROOT))


def _jidou(index: int = 0) -> dict[str, Any]:
    return copy.deepcopy(make_dataset(index + 1)[index][1])


def _problems(recipe: Recipe, data: dict[str, Any]) -> list[str]:
    return [str(p) for p in recipe.schema.check(data, today=TODAY).problems]


# --- loading: every mistake names the file, line and column ---------------------------------


def _spoil(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    for folder in ("recipes", "selectors"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    path = tmp_path / RECIPE
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"test setup: {old!r} is not unique"
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return path, text


def _where(text: str, needle: str) -> str:
    before = text[: text.index(needle)]
    return f"{RECIPE}:{before.count(chr(10)) + 1}:{len(before) - before.rfind(chr(10))}"


@pytest.mark.parametrize(
    ("old", "new", "at", "says"),
    [
        pytest.param(
            "{rule: child_age_limit,",
            "{rule: child_age_limt,",
            "rule: child_age_limt",
            "unknown rule 'child_age_limt' (did you mean 'child_age_limit'?)",
            id="unknown-rule",
        ),
        pytest.param(
            "birth: birth_date, at: claim_date, age: 18}",
            "birth: birth_date, at: claim_date, ages: 18}",
            "ages: 18",
            "rule 'child_age_limit': ages: Extra inputs are not permitted",
            id="unknown-rule-parameter",
        ),
        pytest.param(
            "holder: bank.holder_kana, claimant: applicant.kana}",
            "holder: bank.holder_kan, claimant: applicant.kana}",
            "holder: bank.holder_kan",
            "'bank.holder_kan' is not an item of the application (did you mean 'bank.holder_kana'?)",
            id="rule-names-an-unknown-item",
        ),
        pytest.param(
            "postal_code: {label: 郵便番号, normalize: [postal_code]",
            "postal_code: {label: 郵便番号, normalize: [postal_cod]",
            "normalize: [postal_cod]",
            "unknown transform 'postal_cod'",
            id="unknown-normalize-transform",
        ),
        pytest.param(
            "address: {from: applicant.address, label: 請求者住所}",
            "address: {from: applicant.adress, label: 請求者住所}",
            "from: applicant.adress",
            "'applicant.adress' is not an item of the application (did you mean 'applicant.address'?)",
            id="field-reads-an-unknown-item",
        ),
        pytest.param(
            "not_future: true, not_before: applicant.birth_date,",
            "not_future: true, not_before: applicant.name,",
            "not_before: applicant.name",
            "'not_before' needs a date item",
            id="not-before-a-text-item",
        ),
        pytest.param(
            'atena_search.result_address: {equals: "{address}", label: 住所}',
            'atena_search.result_address: {equals: "{address}", label: 住所, allow: [kanji]}',
            "allow: [kanji]",
            "unknown difference 'kanji' (known: spacing, width, itaiji)",
            id="unknown-identity-difference",
        ),
    ],
)
def test_schema_mistakes_are_load_errors_at_their_line(
    tmp_path: Path, old: str, new: str, at: str, says: str
) -> None:
    path, text = _spoil(tmp_path, old, new)
    with pytest.raises(RecipeError) as caught:
        load_recipe(path, tmp_path / "selectors", tmp_path)
    message = str(caught.value)
    assert says in message, message
    assert message.startswith(_where(text, at).rsplit(":", 1)[0] + ":"), (message, at)


def test_a_list_item_without_each_is_located(tmp_path: Path) -> None:
    path, text = _spoil(
        tmp_path, "      max_items: 10\n      each:", "      max_items: 10\n      eachh:"
    )
    with pytest.raises(RecipeError) as caught:
        load_recipe(path, tmp_path / "selectors", tmp_path)
    assert "eachh" in str(caught.value) or "'each'" in str(caught.value)
    assert str(caught.value).startswith(f"{RECIPE}:")


# --- item checks -----------------------------------------------------------------------------


def test_the_demo_data_of_every_procedure_is_valid(recipes: dict[str, Recipe]) -> None:
    for resident, data in make_dataset(60):
        assert _problems(recipes["jidou_teate_nintei"], data) == []
        if resident["gender"] == "女":
            assert _problems(recipes["boshi_ninshin"], boshi_application(resident, 0)) == []
    for _, data in kaigo_dataset(30):
        assert _problems(recipes["kaigo_nintei"], data) == []


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("applicant.address", "", "請求者住所: 入力されていません"),
        ("applicant.address", "茨城県つくば市<b>吾妻</b>1丁目", "請求者住所: HTMLなどのタグ"),
        (
            "applicant.address",
            "茨城県つくば市吾妻\u200b1丁目",
            "請求者住所: 使用できない文字（制御文字・見えない文字）が含まれています（U+200B）",
        ),
        (
            "applicant.address",
            "茨城県つくば市吾妻" + "一" * 100,
            "請求者住所: 100文字以内で入力してください",
        ),
        (
            "applicant.address",
            "茨城県つくば市髙見1丁目",
            "請求者住所: 使用できない文字が含まれています（髙）",
        ),
        ("applicant.name", "", "請求者氏名: 入力されていません"),
        (
            "applicant.name",
            "山田　太郎\u200d",
            "請求者氏名: 使用できない文字（記号・数字・制御文字）",
        ),
        ("applicant.postal_code", "305-003", "請求者郵便番号: 郵便番号は7桁の数字です（305-003）"),
        ("applicant.phone", "029-851-12345-1", "請求者電話番号: 13文字以内"),
        (
            "applicant.phone",
            "電話なし",
            "請求者電話番号: 形式が正しくありません（電話なし）。例: 029-851-1234",
        ),
        ("remarks", "<script>alert(1)</script>", "備考: HTMLなどのタグ"),
        ("remarks", "a" * 201, "備考: 200文字以内"),
        (
            "applicant.birth_date",
            "2030-01-01",
            "請求者生年月日: 未来の日付です（2030-01-01。今日は2026-12-01）",
        ),
        ("claim_date", "1980-01-01", "請求年月日: 請求者生年月日"),
    ],
)
def test_items_the_recipe_does_not_type_are_checked(
    recipes: dict[str, Recipe], path: str, value: str, expected: str
) -> None:
    data = _jidou()
    node = data
    *head, last = path.split(".")
    for part in head:
        node = node[part]
    node[last] = value
    problems = _problems(recipes["jidou_teate_nintei"], data)
    assert any(expected in p for p in problems), problems


def test_a_missing_object_names_each_of_its_items(recipes: dict[str, Recipe]) -> None:
    data = _jidou()
    del data["bank"]
    problems = _problems(recipes["jidou_teate_nintei"], data)
    for label in ("金融機関コード", "支店コード", "預金種別", "口座番号", "口座名義"):
        assert f"{label}: 入力されていません" in problems


def test_unknown_items_are_kept_and_sent_to_review(recipes: dict[str, Recipe]) -> None:
    data = _jidou()
    data["applicant"]["email"] = "taro@example.jp"
    data["newsletter"] = True
    checked = recipes["jidou_teate_nintei"].schema.check(data, today=TODAY)
    assert checked.unknown == ["applicant.email", "newsletter"]
    assert checked.data["applicant"]["email"] == "taro@example.jp"  # kept as received
    [problem] = checked.problems
    assert "申請項目にない項目" in str(problem) and "applicant.email、newsletter" in str(problem)


def test_unknown_items_may_be_kept_when_the_recipe_says_so(recipes: dict[str, Recipe]) -> None:
    schema = recipes["jidou_teate_nintei"].schema
    keep = type(schema)(schema.spec.model_copy(update={"unknown_items": "keep"}), schema.rules)
    data = _jidou()
    data["applicant"]["email"] = "taro@example.jp"
    checked = keep.check(data, today=TODAY)
    assert checked.problems == [] and checked.unknown == ["applicant.email"]


def test_normalisations_are_reported_with_sensitive_values_masked(
    recipes: dict[str, Recipe],
) -> None:
    data = _jidou()
    number = data["applicant"]["my_number"]
    data["applicant"]["my_number"] = f"{number[:4]}-{number[4:8]}-{number[8:]}"
    data["applicant"]["kana"] = "やまだ　たろう"
    data["bank"]["holder_kana"] = "ﾔﾏﾀﾞ ﾀﾛｳ"
    checked = recipes["jidou_teate_nintei"].schema.check(data, today=TODAY)
    assert checked.problems == []
    changed = {n.path: n for n in checked.normalised}
    assert changed["applicant.kana"].original == "やまだ　たろう"
    assert changed["applicant.kana"].value == "ヤマダ　タロウ"
    assert changed["applicant.kana"].transforms == ("katakana_zenkaku",)
    assert changed["applicant.my_number"].original == changed["applicant.my_number"].value == "****"
    assert checked.data["applicant"]["my_number"] == number  # the checked value is normalised


def test_the_municipalitys_gaiji_are_accepted_beside_jis_x0208(tmp_path: Path) -> None:
    for folder in ("recipes", "selectors"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    data = _jidou()
    data["children"][0]["name"] = "髙" + data["children"][0]["name"][1:]
    without = load_all(tmp_path / "recipes", tmp_path / "selectors", tmp_path)
    assert any("髙" in p for p in _problems(without["jidou_teate_nintei"], data))
    (tmp_path / "recipes" / "gaiji.txt").write_text("# 登録済みの外字\n髙 﨑\n", encoding="utf-8")
    with_gaiji = load_all(tmp_path / "recipes", tmp_path / "selectors", tmp_path)
    assert _problems(with_gaiji["jidou_teate_nintei"], data) == []


# --- the procedures' rules ---------------------------------------------------------------------


def test_ages_are_counted_as_the_law_counts_them() -> None:
    assert age_on(date(1961, 11, 21), date(2026, 11, 20)) == 65  # the eve of the birthday
    assert age_on(date(1961, 11, 22), date(2026, 11, 20)) == 64
    # 18 reached on 2026-03-31 (born 4月1日): the same school year as 3月 births
    assert first_march_31_from(reaching_day(date(2008, 4, 1), 18)) == date(2026, 3, 31)
    assert first_march_31_from(reaching_day(date(2008, 4, 2), 18)) == date(2027, 3, 31)


@pytest.mark.parametrize(
    ("birth", "allowed"),
    [("2008-04-02", True), ("2008-04-01", False), ("2007-12-31", False), ("2026-12-24", False)],
)
def test_child_age_limit_of_jidou_teate(
    recipes: dict[str, Recipe], birth: str, allowed: bool
) -> None:
    data = _jidou()
    data["claim_date"] = "2026-11-20"
    data["children"][0]["birth_date"] = birth
    problems = _problems(recipes["jidou_teate_nintei"], data)
    assert (problems == []) == allowed, problems
    if not allowed:
        assert any(p.startswith("児童1 生年月日: ") for p in problems), problems


def test_the_account_must_be_the_claimants(recipes: dict[str, Recipe]) -> None:
    data = _jidou()
    data["bank"]["holder_kana"] = "ｽｽﾞｷ ﾊﾅｺ"
    problems = _problems(recipes["jidou_teate_nintei"], data)
    assert any(p.startswith("口座名義: 請求者本人の名義の口座にしてください") for p in problems)
    data["bank"]["holder_kana"] = data["applicant"]["kana"].replace("ョ", "ヨ")  # 全銀: large kana
    assert _problems(recipes["jidou_teate_nintei"], data) == []


def test_one_claimant_and_plausible_parents(recipes: dict[str, Recipe]) -> None:
    data = _jidou()
    claimant = data["applicant"]
    data["children"].append(
        {k: claimant[k] for k in ("name", "kana", "birth_date")}
        | {"relation": "子", "cohabiting": True}
    )
    problems = _problems(recipes["jidou_teate_nintei"], data)
    assert any("と同じ人です" in p for p in problems), problems
    data = _jidou()
    data["spouse"] = {"name": "山田　花子", "kana": "ヤマダ　ハナコ", "birth_date": "2024-01-01"}
    problems = _problems(recipes["jidou_teate_nintei"], data)
    assert any("配偶者生年月日" in p for p in problems), problems


def test_kaigo_first_and_second_insured(recipes: dict[str, Recipe]) -> None:
    recipe = recipes["kaigo_nintei"]
    _, data = copy.deepcopy(kaigo_dataset(1)[0])
    data.update(application_date="2026-11-20", kubun="新規", previous_level=None)
    data["insured"]["birth_date"] = "1970-05-05"  # 56: 第2号
    problems = _problems(recipe, data)
    assert any("特定疾病" in p for p in problems) and any("保険者番号" in p for p in problems)
    data["specified_disease"] = "関節リウマチ"
    data["medical_insurance"] = {"insurer_no": "06123456", "symbol": "12-345"}
    assert _problems(recipe, data) == []
    data["insured"]["birth_date"] = "1990-05-05"
    assert any("40歳未満" in p for p in _problems(recipe, data))


def test_boshi_due_date_agrees_with_the_weeks(recipes: dict[str, Recipe]) -> None:
    recipe = recipes["boshi_ninshin"]
    resident = next(r for r, _ in make_dataset(10) if r["gender"] == "女")
    data = boshi_application(resident, 0)
    data.update(notification_date="2026-11-10", weeks=10, due_date="2027-06-08")
    assert _problems(recipe, data) == []
    data["due_date"] = "2027-07-15"
    assert any("妊娠週数（10週）から見た出産予定日" in p for p in _problems(recipe, data))
    data["due_date"] = "2026-11-01"
    assert any("届出日（2026-11-10）より後の日付" in p for p in _problems(recipe, data))


# --- 本人確認: what counts as the same value ------------------------------------------------


@pytest.mark.parametrize(
    ("shown", "expected", "kinds"),
    [
        ("山田　太郎", "山田　太郎", ()),
        (" 山田　太郎 ", "山田　太郎", ()),
        ("山田　太郎", "山田太郎", ("spacing",)),
        ("山田\u200b太郎", "山田太郎", ("spacing",)),
        ("ﾔﾏﾀﾞ", "ヤマダ", ("width",)),
        ("髙橋　一郎", "高橋　一郎", ("itaiji",)),
        ("渡邊　恵", "渡辺　恵", ("itaiji",)),
        ("齋藤　恵", "斎藤恵", ("spacing", "itaiji")),
        ("山田　太郎", "山田　次郎", None),
        ("髙橋　一郎", "橋本　一郎", None),
    ],
)
def test_identity_differences_are_named(
    shown: str, expected: str, kinds: tuple[str, ...] | None
) -> None:
    assert differences(shown, expected) == kinds


# --- the audit log records what the schema normalised ------------------------------------------


def test_the_run_audits_normalised_values_masked(tmp_path: Path, core_url: str) -> None:
    settings = Settings(
        root=ROOT,
        db_url=f"sqlite:///{tmp_path / 'r.db'}",
        core_url=core_url,
        out_root=tmp_path / "runs",
    )
    data = _jidou()
    number = data["applicant"]["my_number"]
    data["applicant"]["my_number"] = f"{number[:4]} {number[4:8]} {number[8:]}"
    data["applicant"]["kana"] = "やまだ　たろう"
    data["bank"]["holder_kana"] = "ﾔﾏﾀﾞ ﾀﾛｳ"
    data["applicant"]["email"] = "taro@example.jp"  # unknown: to review, before any typing
    db = Database(settings.db_url)
    try:
        with db.session() as s:
            s.add(
                ApplicationRow(
                    id="AU-1",
                    procedure="jidou_teate_nintei",
                    received_at=datetime(2026, 11, 20),
                    status=Status.RESOLVED.value,
                    atena_no="0000100001",
                    data=data,
                    attempts=0,
                    needs_verification=False,
                )
            )
        result = run_once(settings, "jidou_teate_nintei", db=db)
        with db.session() as s:
            row = s.get(ApplicationRow, "AU-1")
            assert row is not None and row.status == Status.NEEDS_REVIEW.value
            assert "applicant.email" in (row.reason or "")
    finally:
        db.dispose()
    text = result.audit_path.read_text(encoding="utf-8")
    assert number not in text
    lines = [json.loads(line) for line in text.splitlines()]
    normalised = {e["element"]: e for e in lines if e["step"] == "normalize"}
    assert normalised["applicant.kana"]["value"] == {
        "original": "やまだ　たろう",
        "normalized": "ヤマダ　タロウ",
    }
    assert normalised["applicant.my_number"]["value"] == {"original": "****", "normalized": "****"}
    assert any(e["step"] == "unknown_items" and "applicant.email" in e["detail"] for e in lines)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("ﾐｳﾗ ｼﾞｮﾝ", "ミウラ　ジョン"),
        ("三浦  由美子", "三浦　由美子"),
        ("三浦\u00a0由美子", "三浦　由美子"),
    ],
)
def test_names_are_normalised_only_as_person_name_says(
    recipes: dict[str, Recipe], typed: str, kept: str
) -> None:
    data = _jidou()
    data["children"][0]["name"] = typed
    checked = recipes["jidou_teate_nintei"].schema.check(data, today=TODAY)
    assert checked.problems == []
    assert checked.data["children"][0]["name"] == kept
    [change] = [n for n in checked.normalised if n.path == "children.0.name"]
    assert (change.original, change.value, change.transforms) == (typed, kept, ("person_name",))


@pytest.mark.parametrize("name", ["山田（太郎）", "山田太郎２", "山田😀", "山田\u200b太郎"])
def test_names_with_symbols_digits_or_controls_are_refused(
    recipes: dict[str, Recipe], name: str
) -> None:
    data = _jidou()
    data["children"][0]["name"] = name
    problems = _problems(recipes["jidou_teate_nintei"], data)
    assert any(p.startswith("児童1 氏名: 使用できない文字") for p in problems), problems
