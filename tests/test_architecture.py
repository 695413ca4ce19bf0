"""The direction of imports between renkei's packages, as pyproject's ``[tool.importlinter]``
declares it (issue 15): the engine knows drivers, queue, licences and the audit trail only
by their contracts; the contracts only the neutral screen model; parsing a recipe needs
no execution; the audit report never reads the engine.

The real ``lint-imports`` of the virtualenv over the real package: a broken contract fails
with import-linter's own report, which names every chain of imports that breaks it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_the_import_contracts_are_kept() -> None:
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert "0 broken" in report, report


def test_a_broken_contract_fails_with_the_chain_that_breaks_it(tmp_path: Path) -> None:
    """The check can fail: the service layer imports the queue (as it must), so a
    contract forbidding it is reported broken, naming the import."""
    config = tmp_path / "contracts.toml"
    config.write_text(
        "[tool.importlinter]\n"
        'root_package = "bots"\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "service without the queue"\n'
        'type = "forbidden"\n'
        'source_modules = ["bots.service"]\n'
        'forbidden_modules = ["bots.queue.sql"]\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert "bots.service -> bots.queue.sql" in done.stdout
