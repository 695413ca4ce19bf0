"""The national plan's 26 procedures as ``renkei procedures`` lists them: the catalogue's own
consistency, and the list IT reads for an installation with a recipe that works, one that
does not load, one switched off, procedures without a recipe and a recipe outside the 26
(a copy of the repo's recipes, a real SQLite file, the real command)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bots import procedures
from bots.catalogue import BY_ID, CATALOGUE, FIELDS, in_field
from bots.cli.main import cli
from bots.config import Settings

ROOT = Path(__file__).resolve().parents[1]
TIME = r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d:\d\d"


def test_the_catalogue_holds_the_26_once_each_by_field_with_their_subsystem() -> None:
    assert len(CATALOGUE) == 26
    assert [len(in_field(f)) for f in FIELDS] == [15, 11]
    assert [p.field for p in CATALOGUE] == ["子育て"] * 15 + ["介護"] * 11  # the plan's order
    for key in ("id", "name", "short"):
        values = [getattr(p, key) for p in CATALOGUE]
        assert len(set(values)) == 26, f"{key} repeated"
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", p.id) for p in CATALOGUE)
    assert all(p.name.strip() == p.name and p.short.strip() == p.short for p in CATALOGUE)
    # the shipped recipes keep their ids
    assert (
        BY_ID["jidou_teate_nintei"].name == "児童手当等の受給資格及び児童手当の額についての認定請求"
    )
    assert BY_ID["boshi_ninshin"].name == "妊娠の届出"
    assert BY_ID["kaigo_nintei"].name == "要介護・要支援認定の申請"
    # 子育て in the 子育て subsystem except 妊娠の届出 in 母子保健; 介護 in 介護保険
    assert {p.id for p in CATALOGUE if p.subsystem == "boshi"} == {"boshi_ninshin"}
    assert {p.subsystem for p in in_field("子育て") if p.id != "boshi_ninshin"} == {"kosodate"}
    assert {p.subsystem for p in in_field("介護")} == {"kaigo"}


def test_every_shipped_recipe_of_the_catalogue_keys_into_the_catalogues_subsystem(
    settings: Settings,
) -> None:
    recipes, broken = procedures.loaded(settings)
    assert broken == {}
    shipped = {p: r.system for p, r in recipes.items() if p in BY_ID}
    assert shipped and shipped == {p: BY_ID[p].subsystem for p in shipped}


@pytest.fixture
def installation(tmp_path: Path, settings: Settings) -> dict[str, str]:
    """The environment of an installation whose recipes are a copy of the repo's, with a
    YAML error on line 3 of boshi_ninshin.yaml, and two procedures it has not adopted."""
    recipes = tmp_path / "recipes"
    shutil.copytree(ROOT / "recipes", recipes)
    for not_adopted in NOT_ADOPTED:
        (recipes / f"{not_adopted}.yaml").unlink()
    path = recipes / "boshi_ninshin.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(2, "title: [unclosed\n")
    path.write_text("".join(lines), encoding="utf-8")
    return {
        "RENKEI_DB": settings.db_url,
        "RENKEI_CORE_URL": settings.core_url,
        "RENKEI_OUT": str(settings.out_root),
        "RENKEI_AUDIT_DIR": str(settings.audit_dir),
        "RENKEI_RECIPES": str(recipes),
    }


def renkei(args: list[str], env: dict[str, str]) -> Result:
    return CliRunner().invoke(cli, args, env=env)


def _block(output: str, procedure: str) -> list[str]:
    """The lines of one procedure: its first line and the indented ones under it."""
    lines = output.splitlines()
    [start] = [i for i, line in enumerate(lines) if line.split()[:1] == [procedure]]
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith("    "):
            break
        block.append(line)
    return block


#: recipes the installation of these tests has removed: a municipality adopts them one by one
NOT_ADOPTED = ("jidou_teate_gakukaitei", "kaigo_futan_gendo")


def _installed() -> set[str]:
    return {path.stem for path in (ROOT / "recipes").glob("*.yaml")} - set(NOT_ADOPTED)


def _shipped_in_catalogue(field: str | None = None) -> int:
    """How many of the 26 (of one 分野) the installation has a recipe for."""
    shipped = _installed()
    return sum(p.id in shipped and field in (None, p.field) for p in CATALOGUE)


def test_renkei_procedures_lists_the_26_by_field_each_with_its_state(
    installation: dict[str, str],
) -> None:
    off = renkei(
        ["procedure", "disable", "kaigo_nintei", "--note", "介護の画面改修のため", "--by", "sato"],
        installation,
    )
    assert off.exit_code == 0, off.output
    checked = renkei(["procedure", "check", "--by", "sato"], installation)
    assert checked.exit_code == 4  # boshi's recipe does not load

    listed = renkei(["procedures"], installation)

    assert listed.exit_code == 0, listed.output
    out = listed.output
    lines = out.splitlines()
    shipped = _installed()
    have = [p for p in CATALOGUE if p.id in shipped]
    assert (
        lines[1] == f"26 手続中 {len(have)} 手続にレシピがあります（うち 1 手続のレシピにエラー）"
    )
    assert all(p.name in out for p in CATALOGUE)
    heads = [line for line in lines if line.startswith("■ ")]
    assert heads == [
        f"■ 子育て（15 手続、レシピあり {sum(p.field == '子育て' for p in have)}）",
        f"■ 介護（11 手続、レシピあり {sum(p.field == '介護' for p in have)}）",
        "■ その他（26 手続の外のレシピ 1 件）",
    ]
    ids = [line.split()[0] for line in lines if line.startswith("  ") and line[2] != " "]
    assert ids == [p.id for p in CATALOGUE] + ["yobou_sesshu"]  # the plan's order, then その他

    jt = _block(out, "jidou_teate_nintei")
    assert "児童手当 認定請求" in jt[0]
    assert jt[1].strip() == "レシピ: あり（正常）  サブシステム: kosodate"
    assert jt[2].strip() == "状態: 実行する"
    assert re.fullmatch(r"最終確認: " + TIME + r" 正常（sato）", jt[3].strip())
    assert jt[4].strip() == "最終実行: なし"

    for missing in (p for p in CATALOGUE if p.id not in shipped):
        [none] = _block(out, missing.id)  # one line, no noise
        words = (
            rf"  {missing.id} +レシピなし  {re.escape(missing.short)} — {re.escape(missing.name)}"
        )
        assert re.fullmatch(words, none), none
    assert sum("レシピなし" in line for line in lines) == 26 - len(have)

    boshi = _block(out, "boshi_ninshin")
    assert re.fullmatch(
        r"レシピ: あり（エラー: \S*/boshi_ninshin\.yaml:\d+:\d+: YAML .+）", boshi[1].strip()
    )
    assert re.fullmatch(r"最終確認: " + TIME + r" 不備（sato）", boshi[3].strip())

    kaigo = _block(out, "kaigo_nintei")
    assert kaigo[2].strip().startswith("状態: 停止中  sato が ")
    assert "に停止（理由: 介護の画面改修のため）" in kaigo[2]
    assert re.search(TIME, kaigo[2])

    yobou = _block(out, "yobou_sesshu")
    assert lines.index(yobou[0]) > lines.index("■ その他（26 手続の外のレシピ 1 件）")
    assert yobou[1].strip() == "レシピ: あり（正常）  サブシステム: yobou"
    blocks = [_block(out, p.id) for p in CATALOGUE]
    assert max(len(b) for b in blocks) <= 5  # readable in a terminal: no procedure is noisy


def test_renkei_procedures_json_says_the_same_for_scripts(installation: dict[str, str]) -> None:
    renkei(
        ["procedure", "disable", "kaigo_nintei", "--note", "改修中", "--by", "sato"], installation
    )

    listed = renkei(["procedures", "--json"], installation)

    assert listed.exit_code == 0, listed.output
    found = json.loads(listed.output)
    assert (found["catalogue"], found["with_recipe"]) == (26, _shipped_in_catalogue())
    assert [g["field"] for g in found["groups"]] == ["子育て", "介護", "その他"]
    by = {p["procedure"]: p for g in found["groups"] for p in g["procedures"]}
    assert len(by) == 27
    assert (by["jidou_teate_nintei"]["recipe"], by["jidou_teate_nintei"]["enabled"]) == ("ok", True)
    assert by["jidou_teate_gakukaitei"]["recipe"] == "none"
    assert by["jidou_teate_gakukaitei"]["name"] == "児童手当等の額の改定の請求及び届出"
    assert by["boshi_ninshin"]["recipe"] == "error"
    assert re.search(r"boshi_ninshin\.yaml:\d+:\d+: ", by["boshi_ninshin"]["error"])
    kaigo = by["kaigo_nintei"]
    assert not kaigo["enabled"] and kaigo["switch"]["by"] == "sato"
    assert kaigo["switch"]["at"].endswith("+09:00")  # Japan time
    assert by["yobou_sesshu"]["field"] is None and by["yobou_sesshu"]["recipe"] == "ok"


def test_a_recipe_outside_the_catalogue_is_listed_under_sonota(
    installation: dict[str, str],
) -> None:
    recipes = Path(installation["RENKEI_RECIPES"])
    text = (recipes / "yobou_sesshu.yaml").read_text(encoding="utf-8")
    own = text.replace("procedure: yobou_sesshu", "procedure: risai_shoumei", 1)
    (recipes / "risai_shoumei.yaml").write_text(own, encoding="utf-8")

    out = renkei(["procedures"], installation).output

    assert "■ その他（26 手続の外のレシピ 2 件）" in out
    assert f"26 手続中 {_shipped_in_catalogue()} 手続にレシピがあります（うち 1 手続の" in out
    assert _block(out, "risai_shoumei")[1].strip().startswith("レシピ: あり（正常）")
