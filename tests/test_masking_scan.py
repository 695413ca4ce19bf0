"""The proof of issue 11 item 7: no sensitive value in any output of a real installation.

One installation is made for the module, as staff would use it, every command its own
``renkei`` process (as in production: nothing one command recorded helps the next): a file
of applications for all shipped procedures is imported (one row refused: its columns
shifted, its account number landed in 受付日時), the bot keys them with real Chromium
against the mock (one is refused by the core system and goes to 要確認), a clerk looks at
it, mistypes the account number as a 受付番号, corrects it with a note repeating the old
one, and the bot keys it; then status, verification, the trail and the export.

Then every output is scanned for every sensitive value used — each 個人番号 and 口座番号
as stored and as keyed, a 個人番号 typed into 備考, the core system's password — in its
half- and full-width forms: what every command printed (stdout and stderr), every file
the installation wrote (audit and review logs, summaries, report, export CSV and Excel
cells, PNG text metadata) and every column of the management database but the stored
application data itself. Zero hits; each hit is listed with where it was found.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jaconv
import openpyxl
import pytest
from PIL import Image
from sqlalchemy import MetaData, create_engine, select

from bots.config import JST
from bots.demo.seed import seed, seed_boshi, seed_kaigo
from bots.masking import DEFAULT_SENSITIVE_KEYS
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow
from bots.transforms.mynumber import with_check_digit

ROOT = Path(__file__).resolve().parent.parent
RENKEI = ROOT / ".venv" / "bin" / "renkei"
PASSWORD = "renkei-demo"  # the mock's password for rpa01 (the default RENKEI_CORE_PASSWORD)
KEYED = ("JT-2026-000001", "KG-2026-000001", "BH-2026-000004")
REVIEW = "JT-2026-000003"  # its bank does not exist: the core system refuses it
REFUSED = "JT-2026-900001"  # refused at import: columns shifted
NEW_ACCOUNT = "3958172"  # typed by the clerk in the correction
REMARKS_NUMBER = with_check_digit("58302719466")  # a 個人番号 typed into kaigo's 備考


@dataclass
class Installation:
    base: Path
    env: dict[str, str]
    secrets: set[str] = field(default_factory=set)
    printed: list[tuple[str, str]] = field(default_factory=list)  # (command, output)
    said: dict[str, tuple[int, str]] = field(default_factory=dict)  # label: (exit, output)

    def renkei(self, label: str, *args: str) -> None:
        """One ``renkei`` process; what it printed is kept for the scan."""
        done = subprocess.run(
            [str(RENKEI), *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        name = "renkei " + " ".join(args)
        self.printed += [(f"{name} (stdout)", done.stdout), (f"{name} (stderr)", done.stderr)]
        self.said[label] = (done.returncode, done.stdout + done.stderr)


def _records(base: Path, core_url: str) -> list[dict[str, Any]]:
    """The applications to import, from the demo's data (its residents put in the mock)."""
    scratch = Database(f"sqlite:///{base / 'scratch.db'}")
    seed(scratch, 4, core_url, problems=False)
    seed_kaigo(scratch, 1, core_url)
    seed_boshi(scratch, 4)
    with scratch.session() as s:
        rows = {r.id: r for r in s.execute(select(ApplicationRow)).scalars()}
        chosen = [rows[i] for i in (*KEYED, REVIEW)]
        records = [
            {
                "id": r.id,
                "procedure": r.procedure,
                "atena_no": r.atena_no,
                "received_at": r.received_at.isoformat(),
                "data": r.data,
            }
            for r in chosen
        ]
    scratch.dispose()
    by_id = {r["id"]: r for r in records}
    by_id[REVIEW]["data"]["bank"]["bank_code"] = "1234"  # no such bank: refused by the core
    number = rows["JT-2026-000004"].data["applicant"]["my_number"]  # she is BH-…-000004
    by_id["BH-2026-000004"]["data"]["applicant"]["my_number"] = "-".join(
        (number[:4], number[4:8], number[8:])
    )
    by_id["KG-2026-000001"]["data"]["remarks"] = (
        f"本人確認済 {jaconv.h2z(REMARKS_NUMBER, digit=True)}"
    )
    shifted = json.loads(json.dumps(records[0]))
    shifted["id"] = REFUSED
    shifted["data"]["applicant"]["my_number"] = with_check_digit("40617283950")
    shifted["data"]["bank"]["account_no"] = "8642097"
    shifted["received_at"] = shifted["data"]["bank"]["account_no"]  # a column shifted
    return [*records, shifted]


def _sensitive_values(records: list[dict[str, Any]]) -> set[str]:
    """Every value under a sensitive key of the shipped recipes, as given and as digits."""
    from bots.config import Settings
    from bots.service import load_recipes

    keys = set(DEFAULT_SENSITIVE_KEYS)
    for recipe in load_recipes(Settings(root=ROOT)).values():
        keys |= recipe.sensitive_keys | recipe.sensitive_fields
    found: set[str] = set()

    def walk(node: Any, below: bool) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, below or k.lower() in keys)
        elif isinstance(node, list):
            for v in node:
                walk(v, below)
        elif below and node not in (None, ""):
            found.add(str(node))

    for record in records:
        walk(record["data"], False)
    return found


def _forms(values: set[str]) -> set[str]:
    """Each value, its digits alone, in half- and full-width: every form it could leak in."""
    forms: set[str] = set()
    for value in values:
        digits = re.sub(r"\D", "", jaconv.z2h(value, digit=True))
        for v in {value, digits} - {""}:
            forms |= {v, jaconv.z2h(v, ascii=True, digit=True, kana=True)}
            forms |= {jaconv.h2z(v, ascii=True, digit=True, kana=True)}
    return {f for f in forms if len(f) >= 4}


@pytest.fixture(scope="module")
def inst(tmp_path_factory: pytest.TempPathFactory, core_url: str) -> Iterator[Installation]:
    from conftest import Core

    base = tmp_path_factory.mktemp("masking_scan")
    Core(core_url).reset()
    records = _records(base, core_url)
    (base / "in").mkdir()
    (base / "in" / "applications.json").write_text(
        json.dumps(records, ensure_ascii=False), encoding="utf-8"
    )
    env = {
        **os.environ,
        "RENKEI_DB": f"sqlite:///{base / 'var' / 'renkei.db'}",
        "RENKEI_CORE_URL": core_url,
        "RENKEI_OUT": str(base / "var" / "runs"),
        "RENKEI_AUDIT_DIR": str(base / "var" / "audit"),
        "RENKEI_KEY_DIR": str(base / "var" / "keys"),
        "RENKEI_CORE_PASSWORD": PASSWORD,
    }
    (base / "var").mkdir()
    inst = Installation(base, env)
    inst.secrets = _sensitive_values(records) | {NEW_ACCOUNT, REMARKS_NUMBER, PASSWORD}
    _use(inst, records)
    yield inst


def _use(inst: Installation, records: list[dict[str, Any]]) -> None:
    """Everything staff, IT and an auditor do with the installation, in order."""
    old_account = next(r for r in records if r["id"] == REVIEW)["data"]["bank"]["account_no"]
    inst.renkei("import", "import", str(inst.base / "in" / "applications.json"))
    inst.renkei("import report", "import", "--report")
    inst.renkei("run", "-v", "run")
    inst.renkei("status", "status")
    inst.renkei("review list", "review", "list")
    inst.renkei("review show", "review", "show", REVIEW)
    # a 口座番号 pasted where the 受付番号 goes: refused, and the refusal repeats it
    inst.renkei(
        "review done", "review", "done", REVIEW, "--receipt", old_account, "--note", "手入力"
    )
    inst.renkei(
        "review edit", "review", "edit", REVIEW,
        "--set", "bank.bank_code=0001",
        "--set", f"bank.account_no={NEW_ACCOUNT}",
        "--note", f"申請者に確認し訂正（旧 {old_account} は解約済）",  # no label: by value
        "--by", "clerk-a",
    )  # fmt: skip
    inst.renkei("second run", "-v", "run")
    inst.renkei("review show after", "review", "show", REVIEW)
    inst.renkei("status after", "status")
    inst.renkei("verify", "audit", "verify")
    inst.renkei("trail", "audit", "trail", REVIEW)
    inst.renkei("trail json", "audit", "trail", "--json", KEYED[0])
    atena = next(r for r in records if r["id"] == KEYED[0])["atena_no"]
    inst.renkei("trail atena", "audit", "trail", "--atena", atena)
    today = datetime.now(JST).date()
    span = ["--from", str(today - timedelta(days=1)), "--to", str(today + timedelta(days=1))]
    for fmt in ("csv", "xlsx"):
        out = str(_export(inst, fmt))
        inst.renkei(f"export {fmt}", "audit", "export", *span, "--format", fmt, "--out", out)


def _export(inst: Installation, fmt: str) -> Path:
    return inst.base / "var" / "export" / f"監査.{fmt}"


def _file_texts(path: Path) -> Iterator[tuple[str, str]]:
    """What a person or a program can read in one file written by the installation."""
    if path.suffix == ".png":
        with Image.open(path) as image:
            for key, value in image.text.items():  # type: ignore[attr-defined]
                yield f"{path} (PNG {key})", str(value)
    elif path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                yield f"{path} ({sheet.title})", "\t".join(str(c) for c in row if c is not None)
        book.close()
    elif path.suffix == ".db":
        yield from _db_texts(path)
    else:
        yield str(path), path.read_bytes().decode("utf-8", errors="replace")


def _db_texts(path: Path) -> Iterator[tuple[str, str]]:
    """Every column of every table — the stored application data alone is meant to hold them."""
    engine = create_engine(f"sqlite:///{path}")
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(table.select()):
                for column, value in row._mapping.items():
                    if (table.name, column) == ("applications", "data") or value is None:
                        continue
                    yield f"{path} {table.name}.{column}", str(value)
    engine.dispose()


def _outputs(inst: Installation) -> Iterator[tuple[str, str]]:
    yield from inst.printed
    for path in sorted((inst.base / "var").rglob("*")):
        if path.is_file():
            yield from _file_texts(path)


def test_the_installation_did_what_staff_did(inst: Installation) -> None:
    """The scan means something only if every path ran: keyed, 要確認, refused, corrected."""
    db = Database(inst.env["RENKEI_DB"], key_dir=Path(inst.env["RENKEI_KEY_DIR"]))
    try:
        with db.session() as s:
            status = {r.id: r.status for r in s.execute(select(ApplicationRow)).scalars()}
    finally:
        db.dispose()
    assert status == {**dict.fromkeys(KEYED, "keyed"), REVIEW: "keyed"}, status
    said = inst.said
    assert said["import"][0] == 2 and "不備 1 行" in said["import"][1], said["import"]
    assert "要確認" in said["review show"][1], said["review show"]
    assert said["review done"][0] == 1 and "受付番号" in said["review done"][1]
    assert said["review edit"][0] == 0, said["review edit"]
    assert said["verify"][0] == 0, said["verify"]
    for label in ("trail", "trail json", "trail atena", "export csv", "export xlsx"):
        assert said[label][0] == 0, said[label]
    assert list((inst.base / "var" / "runs").rglob("*.png")), "no screenshot was written"


def _kind(where: str) -> str:
    """What kind of output a text came from, for the summary the scan prints."""
    if where.startswith("renkei "):
        return "printed"
    if " (PNG " in where:
        return "PNG text"
    if ".db " in where:
        return "database"
    return Path(where.split(" (")[0]).suffix or "other"


def test_no_output_shows_a_sensitive_value(inst: Installation) -> None:
    forms = _forms(inst.secrets)
    scanned = hits = 0
    found: list[str] = []
    kinds: Counter[str] = Counter()
    for where, text in _outputs(inst):
        scanned += 1
        kinds[_kind(where)] += 1
        for form in forms:
            start = text.find(form)
            if start >= 0:
                hits += 1
                found.append(f"{where}: …{text[max(0, start - 40) : start + len(form) + 20]}…")
    print(
        f"scanned {scanned} texts ({dict(kinds)}) for {len(forms)} forms of {len(inst.secrets)} values"
    )
    assert scanned > 50, "the scan saw almost nothing: is the installation there?"
    assert hits == 0, f"{hits} 件の漏えい:\n" + "\n".join(found)
