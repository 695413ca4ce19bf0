"""``renkei record``: what an IT officer clicks on a screen, as selector entries to review.

Adapting a recipe to another vendor's screens starts with the selectors: which element is
氏名, which button is 登録. Rather than reading the page's HTML, the officer opens the
screen with Playwright's recorder (the codegen window), clicks and types through it, and
closes the browser; each element used becomes an entry of the selector-file format
(``selectors/*.yaml``), printed for review, never written into the file by itself.

How it works:

* Debian's Chromium is launched headed (the officer works in it): Playwright's own
  browser builds are not installed, and its recorder window runs on the same executable.
  When the selector file has a ``login:``, the tool logs in first with the run's
  credentials through :class:`~bots.drivers.playwright_web.PlaywrightDriver`, and the
  recording window starts from that session's cookies, so the log-in is not recorded and
  the officer's dialogs are not answered by the bot's handlers.
* The recorder writes the Python it records to a file; :func:`convert` reads it with
  :mod:`ast` (never executing it) and turns each locator into strategies — ``get_by_role``
  into ``role``/``name``, ``get_by_label`` into ``label``, ``locator("#x")`` into ``css``…
  A form it does not know is reported with its line, never silently dropped.
* Codegen prefers roles; the project prefers ids first (``selectors/kosodate.yaml``). A
  small script in the page reports each element the officer touched (its id, label,
  text — never what was typed), and an entry whose locator matches one gets ``#id`` first
  and its ``label`` beside the role.

Values are never copied out: ``fill("山田太郎")`` gives the element, not the text, and a
form the converter does not know is reported with its string arguments blanked.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bots.config import CHROMIUM, HEADLESS_SHELL, Settings
from bots.errors import RenkeiError
from bots.screens import SelectorSet
from bots.tooling.record_entries import (
    SEEN_SCRIPT,
    Conversion,
    Seen,
    check_loads,
    convert,
    enrich,
    name_entries,
    render,
)

#: The officer has time to work through a screen; the licence slot is held that long.
RECORDING_HOLD = timedelta(hours=2)


# -- recording ----------------------------------------------------------------------------

NO_DISPLAY = (
    "画面（ディスプレイ）がありません: renkei record はブラウザを開き、そこで行った操作を"
    "記録します。デスクトップのターミナルから実行してください"
    "（画面のないサーバーで試すときは xvfb-run -a renkei record …）"
)


@dataclass
class Recording:
    """What one recording gave: the recorder's Python and the elements the page reported."""

    code: str
    seen: list[Seen]
    address: str


def require_display(env: dict[str, str] | None = None) -> None:
    """The recorder is a window the officer works in: without a display, say how to get one."""
    env = dict(os.environ) if env is None else env
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        raise RenkeiError(NO_DISPLAY)


def headed_chromium(settings: Settings) -> str:
    """The full browser: the headless shell that scheduled runs use has no window."""
    return CHROMIUM if settings.chromium == HEADLESS_SHELL else settings.chromium


def record(
    settings: Settings,
    selectors: SelectorSet,
    url: str,
    drive: Callable[[Any], None] | None = None,
) -> Recording:
    """Open ``url`` of the core system (logged in when the selector file has a log-in) in a
    headed Chromium with Playwright's recorder, and wait until the officer closes it.

    ``drive`` acts on the page in the officer's place (the tests): it is called with the
    page once the screen is open, and must close the page when it is done.
    """
    from bots.drivers.browser import launch_chromium, sandbox_policy
    from bots.drivers.web_errors import screen_address
    from bots.service import engine_settings
    from bots.tooling.session import licence

    require_display()
    engine = engine_settings(settings)
    address = screen_address(engine.core_url, url)
    seen: list[Seen] = []
    chromium = headed_chromium(settings)
    with (  # the folder outlives the browser: the recorder writes into it until it closes
        tempfile.TemporaryDirectory(prefix="renkei-record-") as folder,
        licence(settings, selectors.system, RECORDING_HOLD),
        launch_chromium(chromium, headless=False, sandbox=sandbox_policy()) as browser,
    ):
        state = _session_state(browser, engine, selectors)
        context = browser.new_context(
            locale="ja-JP", viewport={"width": 1280, "height": 900}, storage_state=state
        )
        context.expose_binding("__renkeiRecordSeen", lambda _source, info: seen.append(info))
        context.add_init_script(SEEN_SCRIPT)
        output = Path(folder) / "recorded.py"
        _show_recorder(context, output)
        page = context.new_page()
        _open(page, address)
        if drive is not None:
            drive(page)
        _wait_closed(context)
        context.close()  # the recorder writes its last lines when its context closes
        code = output.read_text(encoding="utf-8") if output.exists() else ""
    return Recording(code, seen, address)


def _open(page: Any, address: str) -> None:
    """The screen, or the reason it cannot be opened in one line (never a traceback)."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        page.goto(address, wait_until="domcontentloaded")
    except PlaywrightError as exc:
        first = exc.message.splitlines()[0]
        raise RenkeiError(f"基幹システムの画面を開けません（{address}）: {first}") from exc


def _session_state(browser: Any, engine: Any, selectors: SelectorSet) -> Any:
    """The cookies of a session logged in by the bot's own driver, or None without a
    log-in; the driver's context is closed, so its handlers never act on the recording."""
    from bots.drivers.playwright_web import PlaywrightDriver

    if selectors.login is None:
        return None
    driver = PlaywrightDriver(
        browser, engine.core_url, selectors, engine.credentials, timeout_ms=engine.timeout_ms
    )
    try:
        driver.ensure_session()
        return driver.context.storage_state()
    finally:
        driver.close()


def _show_recorder(context: Any, output: Path) -> None:
    """Playwright's recorder (the window ``playwright codegen`` opens), recording Python to
    ``output``. Python's API has it only as a private call (codegen uses the same one); it
    starts the recorder's window with the inspected browser's own executable."""
    params = {
        "mode": "recording",
        "language": "python",
        "outputFile": str(output),
        "handleSIGINT": False,
    }
    context._sync(context._impl_obj._show_recorder(params))


def _wait_closed(context: Any) -> None:
    """Until every tab of the recording is closed (the officer closed the window)."""
    from playwright.sync_api import Error as PlaywrightError

    while context.pages:
        try:
            context.pages[0].wait_for_event("close", timeout=0)
        except PlaywrightError:  # the browser itself went away: what was written counts
            return


def selector_entries(
    recording: Recording, system: str, screen: str, url: str | None, when: str
) -> tuple[str, Conversion]:
    """The YAML to review (checked with the project's loader) and the conversion."""
    conversion = convert(recording.code) if recording.code.strip() else Conversion()
    enrich(conversion.entries, recording.seen)
    name_entries(conversion.entries)
    header = [
        f"renkei record: {system} の画面 {screen}（{recording.address}、{when} 記録）",
        f"確認してから selectors/{system}.yaml の screens: の下に貼り付けてください。",
        "キーは要素の id から、id のないものは仮の名前（button_1 など）です。入力した値は出力しません。",
    ]
    text = render(screen, url, conversion.entries, header)
    check_loads(system, text)
    return text, conversion
