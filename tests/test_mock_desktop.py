"""The desktop mock core system driven like a clerk would, on a real X display (Xvfb).

The client (``python -m mock_core_ui.desktop``) runs as a subprocess; the test clicks with
pyautogui at boxes the client publishes (``--geometry-file``, test-only), types ASCII with
pyautogui, pastes Japanese through the clipboard (pyperclip), and checks what was
registered through the client's own store. One Xvfb for the module; one client process
at a time (every window opens at (0,0)), reused across tests at the same settings.
Screenshots of each screen at each scale go to /tmp/h15/shots/ for a person to look at.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mock_core_ui.desktop.store import registrations

SHOTS = Path(os.environ.get("MOCK_DESKTOP_SHOTS", "/tmp/h15/shots"))
USER, PASSWORD = "rpa01", "renkei-demo"


def _poll(what: str, check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Wait for a condition (no fixed sleeps): the check's first truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            if "DISPLAY" in os.environ:  # what the screen showed, for the person debugging
                from PIL import ImageGrab

                SHOTS.mkdir(parents=True, exist_ok=True)
                ImageGrab.grab(xdisplay=os.environ["DISPLAY"]).save(SHOTS / "timeout.png")
            raise AssertionError(f"待ちきれませんでした: {what}")
        time.sleep(0.02)


@dataclass
class Client:
    """One running client and the hands that drive it."""

    process: subprocess.Popen[str]
    geometry: Path
    store: Path
    scale: float
    layout: str
    display: str
    extra: tuple[str, ...] = ()
    shots: set[str] = field(default_factory=set)

    def state(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.geometry.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def wait(self, screen: str, popup: str | None = None, after: int = 0) -> dict[str, Any]:
        """The published layout once ``screen`` (and ``popup``, or none) is drawn."""

        def ready() -> dict[str, Any] | None:
            s = self.state()
            if s is None or s["seq"] <= after or s["screen"] != screen:
                return None
            kind = s["popup"]["kind"] if s["popup"] else None
            return s if kind == popup else None

        return _poll(f"{screen} {popup or ''}", ready)

    def seq(self) -> int:
        s = self.state()
        return 0 if s is None else int(s["seq"])

    def click(self, name: str, popup: bool = False) -> None:
        import pyautogui

        s = self.state()
        assert s is not None
        boxes = s["popup"]["widgets"] if popup else s["widgets"]
        x, y, w, h = boxes[name]
        pyautogui.click(x + w // 2, y + h // 2)

    def type(self, name: str, text: str) -> None:
        """Click a field, select what it holds and replace it (Japanese by the clipboard)."""
        import pyautogui
        import pyperclip

        self.click(name)
        pyautogui.hotkey("ctrl", "a")
        if text.isascii():
            pyautogui.write(text)
        else:
            pyperclip.copy(text)  # xclip takes the clipboard a moment after it returns
            _poll("クリップボード", lambda: pyperclip.paste() == text)
            pasted = self.state()["pastes"]  # type: ignore[index]
            pyautogui.hotkey("ctrl", "v")
            # Tk takes other events while it fetches the clipboard: a click sent now could
            # act before the text is in the field (seen: 登録 saw 本人との関係 empty)
            _poll("貼り付け", lambda: (s := self.state()) and s["pastes"] > pasted)

    def choose(self, name: str, code: str) -> None:
        """A drop-down list: click opens it, the code's key moves to the choice, Enter."""
        import pyautogui

        self.click(name)
        _poll(f"{name} の一覧", lambda: (s := self.state()) and s["focus"] == f"{name}.list")
        pyautogui.press(code)
        pyautogui.press("enter")
        _poll(f"{name} の選択", lambda: (s := self.state()) and s["focus"] == name)

    def shot(self, label: str) -> Path:
        """A screenshot of the whole screen, saved once per label and scale."""
        from PIL import ImageGrab

        image = ImageGrab.grab(xdisplay=self.display)
        path = SHOTS / f"{self.layout}_{int(self.scale * 100)}_{label}.png"
        if label not in self.shots:
            SHOTS.mkdir(parents=True, exist_ok=True)
            image.save(path)
            self.shots.add(label)
        return path

    def to_menu(self) -> None:
        """From wherever a test left the client: close a pop-up, log in, go back."""
        import pyautogui

        for _ in range(6):
            s = self.state()
            assert s is not None
            if s["popup"]:
                pyautogui.press("escape")
                self.wait(s["screen"], None, s["seq"] - 1)
            elif s["screen"] == "menu":
                return
            elif s["screen"] == "login":
                self.log_in()
            else:
                self.click("back")
                _poll("戻る", functools.partial(self._left, s["screen"]))
        raise AssertionError("メニューに戻れませんでした")

    def _left(self, screen: str) -> bool:
        s = self.state()
        return s is not None and s["screen"] != screen

    def log_in(self, password: str = PASSWORD) -> dict[str, Any]:
        import pyautogui

        before = self.seq()
        self.type("user", USER)
        self.type("password", password)
        pyautogui.press("enter")

        def answered() -> dict[str, Any] | None:
            s = self.state()
            done = s is not None and s["seq"] > before and (s["popup"] or s["screen"] == "menu")
            return s if done else None

        return _poll("ログインの結果", answered)


class Clients:
    """Starts a client at given settings, stopping the one before (they share (0,0))."""

    def __init__(self, workdir: Path, display: str) -> None:
        self.workdir, self.display = workdir, display
        self.current: Client | None = None

    def get(self, scale: float = 1.0, layout: str = "v1", *extra: str) -> Client:
        """A client at the menu: the running one if its settings match, else a new one
        (on the same store file as the last one at these settings)."""
        c = self.current
        same = c is not None and (c.scale, c.layout, c.extra) == (scale, layout, extra)
        if c is not None and same and c.process.poll() is None:
            c.to_menu()
            return c
        self.stop()
        tag = f"{layout}_{int(scale * 100)}"
        store, geometry = self.workdir / f"{tag}.db", self.workdir / f"{tag}.json"
        geometry.unlink(missing_ok=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "mock_core_ui.desktop", "--store", str(store)]
            + ["--scale", str(scale), "--layout", layout, "--geometry-file", str(geometry)]
            + list(extra),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "READY login"  # the readiness line
        self.current = Client(process, geometry, store, scale, layout, self.display, extra)
        self.current.wait("login")
        self.current.shot("login")
        self.current.to_menu()
        self.current.shot("menu")
        return self.current

    def stop(self) -> None:
        if self.current is not None:
            self.current.process.terminate()
            self.current.process.wait(timeout=10)
            self.current = None


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory, x_display: str) -> Iterator[Clients]:
    made = Clients(tmp_path_factory.mktemp("desktop"), x_display)
    try:
        yield made
    finally:
        made.stop()


@functools.cache
def _demo() -> list[dict[str, str]]:
    from bots.demo.procedures import kaigo_dataset

    return [person for person, _ in kaigo_dataset(20)]


def demo_person(i: int) -> dict[str, str]:
    """The web mock's 介護 demo person ``i`` (the seed's list): the client knows them too."""
    return _demo()[i]


def _search_by_kana(client: Client, person: dict[str, str], procedure: str) -> dict[str, Any]:
    import pyautogui

    client.click(f"menu_{procedure}")
    client.wait("search")
    client.type("search_kana", person["kana"].split("\u3000")[0])
    client.type("search_birth", person["birth_date"].replace("-", ""))
    before = client.seq()
    pyautogui.press("enter")
    client.wait("search", after=before)
    client.shot("search")
    client.click("choose")
    return client.wait("entry")


def _copied(client: Client, name: str) -> str:
    """What a clerk gets by clicking a field, Ctrl+A, Ctrl+C (the clipboard restored)."""
    import pyautogui
    import pyperclip

    pyperclip.copy("-")
    _poll("クリップボード", lambda: pyperclip.paste() == "-")  # xclip owns it now, not later
    client.click(name)
    pyautogui.hotkey("ctrl", "a")
    pyautogui.hotkey("ctrl", "c")
    return _poll(f"{name} のコピー", lambda: (t := pyperclip.paste()) != "-" and t)


def _fill_hihokenshashou(client: Client, remarks: str, riyuu: str | None = "4") -> None:
    client.type("shinsei_date_year", "8")
    client.type("shinsei_date_month", "11")
    client.type("shinsei_date_day", "20")
    if riyuu is not None:
        client.choose("riyuu", riyuu)
        client.type("riyuu_sonota", "施設に預けたまま返却されていない")
    client.click("koufu_2")
    client.type("remarks", remarks)


def _register(client: Client, answer: str = "yes") -> dict[str, Any]:
    before = client.seq()
    client.click("register")
    s = client.wait("entry", "confirm", before)
    assert s["popup"]["title"] == "確認" and s["popup"]["texts"]["message"] == "登録しますか？"
    client.shot("confirm")
    before = client.seq()
    client.click(answer, popup=True)
    return client.wait("result" if answer == "yes" else "entry", None, before)


RECEIPT_RE = re.compile(r"K[HW][0-9]{8}")
OCR_READS: list[tuple[float, int, bool]] = []  # (scale, text height, read a whole number)


def _ocr_receipt(client: Client, box: list[int]) -> str:
    """The 受付番号 read back by OCR (eng, a whitelist, resized), checked, as a bot must.

    Tesseract drops one of a run of zeros at some sizes (measured: at 60 and 70 px text
    height of the 150 % label, ``KH0000001``), so a read that is not prefix + 8 digits is
    retried at the next height; what is returned has the 受付番号's form or is the last try.
    """
    import pytesseract
    from PIL import Image, ImageGrab, ImageOps

    x, y, w, h = (box[0] + 2, box[1] + 2, box[2] - 4, box[3] - 4)  # inside the frame line
    grabbed = ImageGrab.grab(bbox=(x, y, x + w, y + h), xdisplay=client.display).convert("L")
    config = "--psm 7 -c tessedit_char_whitelist=KHW0123456789"
    text = ""
    for height in (40, 50, 60, 80):
        image = grabbed.resize((round(w * height / h), height), Image.Resampling.LANCZOS)
        image = ImageOps.expand(image, border=20, fill=255)
        text = pytesseract.image_to_string(image, lang="eng", config=config).strip()
        OCR_READS.append((client.scale, height, bool(RECEIPT_RE.fullmatch(text))))
        if RECEIPT_RE.fullmatch(text):
            return text
    return text


def _focus_is(client: Client, name: str) -> None:
    _poll(f"{name} にフォーカス", lambda: (s := client.state()) and s["focus"] == name)


def _key_hihokenshashou(client: Client, person: dict[str, str]) -> dict[str, Any]:
    """Search the person, check the header by copy, key every item, はい; the result."""
    s = _search_by_kana(client, person, "kaigo_hihokenshashou")
    assert s["texts"]["label_riyuu"] == "再交付理由"  # v1: the web spec's label, 交付方法 below
    assert s["widgets"]["label_koufu"][1] > s["widgets"]["label_riyuu"][1]
    _focus_is(client, "shinsei_date_era")  # the first item has the focus
    assert _copied(client, "subject_name") == person["name"]  # 本人確認 by copy
    assert _copied(client, "subject_hno") == person["hihokensha_no"]
    _fill_hihokenshashou(client, "郵送先は長男宅（東京都）")
    client.shot("entry")
    s = _register(client)
    client.shot("result")
    [stored] = registrations(client.store, "kaigo_hihokenshashou", person["hihokensha_no"])
    assert stored["receipt_no"].startswith("KH") and len(stored["receipt_no"]) == 10
    assert s["texts"]["receipt_no"] == stored["receipt_no"]
    assert _ocr_receipt(client, s["widgets"]["receipt_no"]) == stored["receipt_no"]
    assert stored["data"] == {
        "shinsei_date": "2026-11-20",
        "riyuu": "4",
        "riyuu_sonota": "施設に預けたまま返却されていない",
        "koufu": "2",
        "remarks": "郵送先は長男宅（東京都）",
    }
    assert stored["typed"]["shinsei_date_era"] == "5"
    client.click("back")
    client.wait("menu")
    return s


def _missing_reason(client: Client, person: dict[str, str]) -> None:
    _search_by_kana(client, person, "kaigo_hihokenshashou")
    _fill_hihokenshashou(client, "理由なし", riyuu=None)
    before = client.seq()
    client.click("register")
    s = client.wait("entry", "error", before)
    client.shot("error_entry")
    assert s["popup"]["title"] == "エラー"
    label = s["texts"]["label_riyuu"]
    assert s["popup"]["texts"]["message"] == f"{label}を選択してください。"
    client.click("ok", popup=True)
    _focus_is(client, "riyuu")  # back on the item the message names
    assert client.state()["popup"] is None  # type: ignore[index]
    assert registrations(client.store, hihokensha_no=person["hihokensha_no"]) == []
    client.to_menu()


def _inquiry_lists(client: Client, person: dict[str, str]) -> None:
    import pyautogui

    stored = registrations(client.store, "kaigo_hihokenshashou", person["hihokensha_no"])
    assert len(stored) == 1
    client.click("menu_kaigo_hihokenshashou_inquiry")
    client.wait("inquiry")
    client.type("inquiry_hno", person["hihokensha_no"])
    before = client.seq()
    pyautogui.press("enter")
    s = client.wait("inquiry", after=before)
    client.shot("inquiry")
    x, y, _w, _h = s["widgets"]["results"]
    px = client.scale
    row = [x + 2, y + round(36 * px), round(168 * px), round(32 * px)]  # under the heading
    assert _ocr_receipt(client, row) == stored[0]["receipt_no"]
    client.to_menu()


def test_wrong_password_is_refused_with_a_pop_up(clients: Clients) -> None:
    client = clients.get()
    client.shot("menu")
    client.click("logout")
    client.wait("login")
    s = client.log_in(password="wrong")
    assert s["screen"] == "login" and s["popup"]["title"] == "エラー"
    assert s["popup"]["texts"]["message"] == "利用者IDまたはパスワードが正しくありません。"
    client.shot("error_login")
    client.click("ok", popup=True)
    client.wait("login", None, s["seq"])
    s = client.log_in()
    assert s["screen"] == "menu"
    assert s["title"] == "介護保険総合システム クライアント版 - 業務メニュー"


def test_hihokenshashou_is_keyed_once_with_every_value(clients: Clients) -> None:
    s = _key_hihokenshashou(clients.get(), demo_person(0))
    assert s["window"] == [0, 0, 960, 640]


def test_futan_wariai_by_number_with_a_family_applicant(clients: Clients) -> None:
    import pyautogui

    client = clients.get()
    person = demo_person(3)
    client.click("menu_kaigo_futan_wariai")
    client.wait("search")
    client.type("search_hno", person["hihokensha_no"])
    before = client.seq()
    client.click("search")
    client.wait("search", after=before)
    _focus_is(client, "results")
    pyautogui.press("enter")  # one hit is preselected: Enter is 選択
    client.wait("entry")
    client.type("shinsei_date_year", "8")
    client.type("shinsei_date_month", "9")
    client.type("shinsei_date_day", "1")
    client.type("nendo", "2026")
    client.choose("riyuu", "1")
    client.click("koufu_1")
    client.click("shinseisha_2")
    family = person["name"].split("\u3000")[0] + "\u3000一郎"
    client.type("shinseisha_name", family)
    client.type("kankei", "長男")
    _register(client)
    [stored] = registrations(client.store, "kaigo_futan_wariai", person["hihokensha_no"])
    assert stored["receipt_no"] == "KW00000001"
    assert stored["data"] == {
        "shinsei_date": "2026-09-01",
        "nendo": "2026",
        "riyuu": "1",
        "riyuu_sonota": None,
        "koufu": "1",
        "shinseisha": "2",
        "shinseisha_name": family,
        "kankei": "長男",
        "remarks": None,
    }
    client.to_menu()


def test_tab_goes_top_to_bottom_and_paste_replaces_the_selection(clients: Clients) -> None:
    import pyautogui

    client = clients.get()
    _search_by_kana(client, demo_person(4), "kaigo_hihokenshashou")
    order = ["shinsei_date_era", "shinsei_date_year", "shinsei_date_month", "shinsei_date_day"]
    order += ["riyuu", "riyuu_sonota", "koufu_1", "koufu_2", "remarks", "register", "back"]
    for name in order:
        _focus_is(client, name)
        pyautogui.press("tab")
    client.type("riyuu_sonota", "古い文")
    client.type("riyuu_sonota", "新しい文")  # Ctrl+A then paste: replaced, not appended
    assert _copied(client, "riyuu_sonota") == "新しい文"
    client.to_menu()


def test_no_on_the_confirm_leaves_the_form_and_stores_nothing(clients: Clients) -> None:
    client = clients.get()
    person = demo_person(5)
    _search_by_kana(client, person, "kaigo_hihokenshashou")
    _fill_hihokenshashou(client, "いいえの確認")
    s = _register(client, answer="no")
    assert s["screen"] == "entry" and s["popup"] is None
    assert registrations(client.store, hihokensha_no=person["hihokensha_no"]) == []
    assert _copied(client, "remarks") == "いいえの確認"  # the form is as it was
    client.to_menu()


def test_a_missing_required_item_is_an_error_pop_up_and_nothing_is_stored(
    clients: Clients,
) -> None:
    _missing_reason(clients.get(), demo_person(6))


def test_unknown_number_and_a_bad_number_are_error_pop_ups(clients: Clients) -> None:
    import pyautogui

    client = clients.get()
    client.click("menu_kaigo_hihokenshashou")
    client.wait("search")
    for text, message in (
        ("9999999999", "該当する被保険者はありません。"),
        ("12345", "被保険者番号は半角数字10桁で入力してください。"),
    ):
        client.type("search_hno", text)
        before = client.seq()
        pyautogui.press("enter")
        s = client.wait("search", "error", before)
        assert s["popup"]["texts"]["message"] == message
        client.shot("error_search")
        pyautogui.press("enter")  # OK has the focus
        client.wait("search", None, s["seq"])
    client.to_menu()


def test_the_inquiry_lists_what_was_stored(clients: Clients) -> None:
    _inquiry_lists(clients.get(), demo_person(0))  # keyed at 100 % above


def test_a_kill_at_the_confirm_leaves_nothing_and_a_kill_after_yes_the_whole_row(
    clients: Clients,
) -> None:
    import pyautogui

    client = clients.get()
    person = demo_person(10)
    _search_by_kana(client, person, "kaigo_hihokenshashou")
    _fill_hihokenshashou(client, "強制終了の確認")
    before = client.seq()
    client.click("register")
    client.wait("entry", "confirm", before)
    client.process.kill()  # the PC dies with 登録しますか？ on the screen
    client.process.wait(timeout=10)
    assert registrations(client.store, hihokensha_no=person["hihokensha_no"]) == []
    client = clients.get()  # started again on the same store
    client.click("menu_kaigo_hihokenshashou_inquiry")
    client.wait("inquiry")
    client.type("inquiry_hno", person["hihokensha_no"])
    before = client.seq()
    pyautogui.press("enter")
    s = client.wait("inquiry", "error", before)  # not keyed: the bot may key it
    assert s["popup"]["texts"]["message"] == "該当する申請はありません。"
    client.to_menu()
    _search_by_kana(client, person, "kaigo_hihokenshashou")
    _fill_hihokenshashou(client, "強制終了の確認")
    _register(client)
    client.process.kill()  # right after はい: the row is there, whole
    client.process.wait(timeout=10)
    [stored] = registrations(client.store, hihokensha_no=person["hihokensha_no"])
    assert stored["data"]["remarks"] == "強制終了の確認"


def test_an_idle_session_times_out_with_a_pop_up(clients: Clients) -> None:
    client = clients.get(1.0, "v1", "--idle-timeout", "1")
    s = client.wait("login", "error")
    assert s["popup"]["texts"]["message"] == (
        "セッションの有効期限が切れました。再度ログインしてください。"
    )
    client.shot("error_timeout")
    client.click("ok", popup=True)
    client.wait("login", None, s["seq"])


@pytest.mark.parametrize("scale", [1.25, 1.5])
def test_the_flow_works_at_a_larger_display_scale(clients: Clients, scale: float) -> None:
    client = clients.get(scale)
    person = demo_person(8 + int(scale * 4))  # a new person per scale
    s = _key_hihokenshashou(client, person)
    assert s["window"] == [0, 0, round(960 * scale), round(640 * scale)]
    from PIL import Image

    with Image.open(client.shot("result")) as shot:
        assert shot.getpixel((round(960 * scale) - 2, 2)) != (0, 0, 0)  # the window reaches
    _missing_reason(client, demo_person(9 + int(scale * 4)))
    _inquiry_lists(client, person)


def test_v2_moves_fields_and_renames_the_reason(clients: Clients) -> None:
    client = clients.get(layout="v2")
    s = _search_by_kana(client, demo_person(7), "kaigo_hihokenshashou")
    client.shot("entry")
    assert s["texts"]["label_riyuu"] == "再交付の理由"
    assert s["widgets"]["label_koufu"][1] < s["widgets"]["label_riyuu"][1]  # moved up
    assert s["widgets"]["register"][0] > s["widgets"]["back"][0]  # buttons swapped
    client.to_menu()
    _missing_reason(client, demo_person(15))  # the message follows the new label
