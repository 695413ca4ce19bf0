"""Baseline (c): the same form posts made directly over HTTP, without a browser.

This is not an option for a municipality (方式2 forbids going around the screens, and a
real core system's forms are not a documented API); it measures the server's floor, so
the benchmark can tell the browser's cost from the core system's.

    python bench/direct_http.py SPEC.json OUT.json     (SPEC as for minimal_playwright.py)

Per application: GET 宛名検索 with the 宛名番号, GET the entry screen (for its CSRF token),
POST the claim, follow the redirect to the result and read the 受付番号.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from time import perf_counter
from typing import Any
from urllib.parse import urlencode

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_RECEIPT = re.compile(r'id="receipt_no">([^<]+)<')


def claim_form(atena_no: str, v: dict[str, Any], csrf: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "atena_no": atena_no,
        "my_number": v["my_number"],
        "claim_era": v["claim_era"],
        "claim_year": v["claim_year"],
        "claim_month": v["claim_month"],
        "claim_day": v["claim_day"],
        "spouse": "あり" if v.get("spouse_name") else "なし",
        "bank_code": v["bank_code"],
        "branch_code": v["branch_code"],
        "account_type": v["account_type"],
        "account_no": v["account_no"],
        "account_holder": v["account_holder"],
        "remarks": v["remarks"],
    }
    if v.get("spouse_name"):
        for part in ("name", "kana", "era", "year", "month", "day"):
            form[f"spouse_{part}"] = v[f"spouse_{part}"]
    for n, child in enumerate(v["children"], start=1):
        for part in ("name", "kana", "era", "year", "month", "day", "relation", "cohabit"):
            form[f"child_{part}_{n}"] = child[part]
    return form


def main(spec_path: str, out_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    base = spec["core_url"].rstrip("/")
    http = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(path: str) -> str:
        with http.open(base + path, timeout=30) as response:
            return str(response.read().decode("utf-8"))

    def post(path: str, form: dict[str, str]) -> str:
        data = urlencode(form).encode("utf-8")
        with http.open(base + path, data=data, timeout=30) as response:
            return str(response.read().decode("utf-8"))

    token = _CSRF.search(get("/login"))
    assert token, "no CSRF token on the login page"
    post(
        "/login",
        {"csrf_token": token.group(1), "user_id": spec["user"], "password": spec["password"]},
    )
    done: list[float] = []
    receipts: list[str] = []
    start = perf_counter()
    for app in spec["apps"]:
        get("/atena/search?" + urlencode({"atena_no": app["atena_no"]}))
        entry = get("/jidou/nintei/new?" + urlencode({"atena_no": app["atena_no"]}))
        csrf = _CSRF.search(entry)
        assert csrf, f"{app['id']}: no entry screen (logged out?)"
        result = post("/jidou/nintei", claim_form(app["atena_no"], app["values"], csrf.group(1)))
        receipt = _RECEIPT.search(result)
        assert receipt, f"{app['id']}: no 受付番号 (the claim was refused)"
        receipts.append(receipt.group(1))
        done.append(perf_counter() - start)
    Path(out_path).write_text(json.dumps({"done": done, "receipts": receipts}), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
