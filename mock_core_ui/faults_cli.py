"""Operators' command line for the mock's faults (standard library only).

::

    python -m mock_core_ui.faults_cli --url http://127.0.0.1:8765 show
    python -m mock_core_ui.faults_cli set register_500_rate=0.05 variants.kosodate=v3
    python -m mock_core_ui.faults_cli reset

``set`` takes KEY=VALUE pairs: numbers, ``true``/``false`` (also on/off, yes/no),
``none``/``null`` (switch a setting off; for ``variants.X`` go back to the normal screens),
or text (``maintenance_window=22:00-06:00``, ``variants.kosodate=v2``). The server checks
every value. The answer (the settings now in force) is written to stdout as JSON; errors go
to stderr with exit status 1. The server must run with ``--admin`` or ``--testing``.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8765"
_TRUE = frozenset({"true", "on", "yes"})
_FALSE = frozenset({"false", "off", "no"})
_NULL = frozenset({"none", "null", ""})


def parse_value(text: str) -> Any:
    """A command-line value as JSON would carry it (bool, null, int, float or text)."""
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    if lowered in _NULL:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text.strip()


def parse_assignments(pairs: list[str]) -> dict[str, Any]:
    """``["a=1", "variants.kosodate=v3"]`` → ``{"a": 1, "variants": {"kosodate": "v3"}}``."""
    changes: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"expected KEY=VALUE, not {pair!r}")
        if key.startswith("variants."):
            subsystem = key.removeprefix("variants.")
            if not subsystem:
                raise ValueError(f"expected variants.SUBSYSTEM=VARIANT, not {pair!r}")
            changes.setdefault("variants", {})[subsystem] = parse_value(raw)
        else:
            changes[key] = parse_value(raw)
    return changes


def call(url: str, method: str, body: Any = None, timeout: float = 10) -> Any:
    """One JSON request to the admin endpoint; raises RuntimeError with the server's reason."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")
        try:
            detail = json.loads(detail).get("error", detail)
        except (ValueError, AttributeError):
            if exc.code == 404:
                detail = "no /_admin/faults here (start the mock with --admin or --testing)"
        raise RuntimeError(f"HTTP {exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise RuntimeError(f"cannot reach {url}: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m mock_core_ui.faults_cli", description="Show or change the mock's faults."
    )
    parser.add_argument("--url", default=DEFAULT_URL, help=f"the mock's base URL ({DEFAULT_URL})")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("show", help="print the current settings")
    sub.add_parser("reset", help="switch every fault off")
    setter = sub.add_parser("set", help="change settings: KEY=VALUE …")
    setter.add_argument("pairs", nargs="+", metavar="KEY=VALUE")
    args = parser.parse_args(argv)

    endpoint = args.url.rstrip("/") + "/_admin/faults"
    try:
        if args.command == "show":
            result = call(endpoint, "GET")
        elif args.command == "reset":
            result = call(endpoint + "/reset", "POST", {})
        else:
            result = call(endpoint, "POST", parse_assignments(args.pairs))
    except (RuntimeError, ValueError) as exc:
        sys.stderr.write(f"faults_cli: {exc}\n")
        return 1
    sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
