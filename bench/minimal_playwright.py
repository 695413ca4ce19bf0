"""Baseline (b): the plain Playwright script a municipality's IT staff would write instead.

It keys the same 児童手当 認定請求 on the same screens as renkei — log in once, then per
application: 宛名検索, 選択, fill the form, 登録 (accepting the confirm), read the 受付番号 —
and nothing else: no queue, no identity check, no screenshots, no audit log, no masking.
It is the floor for keying through a browser; ``bench/run.py`` compares the bot with it.

    python bench/minimal_playwright.py SPEC.json OUT.json

SPEC: {"core_url", "user", "password", "chromium", "apps": [{"id", "atena_no", "values"}]}
where ``values`` are the recipe's computed field values (和暦 parts, カナ, …). OUT gets
the completion time of every application (seconds since the first one started).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from time import perf_counter

from playwright.sync_api import sync_playwright

# The flags Debian's Chromium needs here, written out rather than imported from bots/:
# this script stands for what someone writes without renkei, and imports none of it.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main(spec_path: str, out_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    base = spec["core_url"].rstrip("/")
    done: list[float] = []
    receipts: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=spec["chromium"], args=ARGS)
        page = browser.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(base + "/login")
        page.fill("#user_id", spec["user"])
        page.fill("#password", spec["password"])
        with page.expect_navigation():
            page.click("#login")
        start = perf_counter()
        for app in spec["apps"]:
            v = app["values"]
            page.goto(base + "/atena/search")
            page.fill("#atena_no", app["atena_no"])
            with page.expect_navigation():
                page.click("#search")
            with page.expect_navigation():
                page.click("table#results a.select")
            page.fill("#my_number", v["my_number"])
            page.select_option("#claim_era", label=v["claim_era"])
            page.fill("#claim_year", v["claim_year"])
            page.fill("#claim_month", v["claim_month"])
            page.fill("#claim_day", v["claim_day"])
            if v.get("spouse_name"):
                page.check("#spouse_yes")
                page.fill("#spouse_name", v["spouse_name"])
                page.fill("#spouse_kana", v["spouse_kana"])
                page.select_option("#spouse_era", label=v["spouse_era"])
                page.fill("#spouse_year", v["spouse_year"])
                page.fill("#spouse_month", v["spouse_month"])
                page.fill("#spouse_day", v["spouse_day"])
            else:
                page.check("#spouse_no")
            for n, child in enumerate(v["children"], start=1):
                if n > 1:
                    page.click("#add_child")
                page.fill(f"#child_name_{n}", child["name"])
                page.fill(f"#child_kana_{n}", child["kana"])
                page.select_option(f"#child_era_{n}", label=child["era"])
                page.fill(f"#child_year_{n}", child["year"])
                page.fill(f"#child_month_{n}", child["month"])
                page.fill(f"#child_day_{n}", child["day"])
                page.select_option(f"#child_relation_{n}", label=child["relation"])
                page.select_option(f"#child_cohabit_{n}", label=child["cohabit"])
            page.fill("#bank_code", v["bank_code"])
            page.fill("#branch_code", v["branch_code"])
            page.select_option("#account_type", label=v["account_type"])
            page.fill("#account_no", v["account_no"])
            page.fill("#account_holder", v["account_holder"])
            page.fill("#remarks", v["remarks"])
            with page.expect_navigation():
                page.click("#register")
            receipts.append(page.inner_text("#receipt_no"))
            done.append(perf_counter() - start)
        browser.close()
    Path(out_path).write_text(json.dumps({"done": done, "receipts": receipts}), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
