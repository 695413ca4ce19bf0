"""One suite over the :class:`~bots.contracts.Driver` contract, for every kind of driver.

The engine, the steps and the audit see a driver only through the contract, so what the
contract promises must hold for each implementation alike — as the queue's contract suite
holds for SQLite and PostgreSQL (``tests/test_queue_contract.py``). Each test here works a
real core system through the contract only: log in, open screens, call a resident up, type,
choose, tick, read back, register (accepted and refused), look the registration up, take a
masked screenshot, and meet an element that is not there.

Implementations are the parameters of :func:`bench` (:data:`KINDS`), each with a fixture
``<kind>_bench``:

* ``web`` — the Playwright driver in real Chromium against the real mock core system (its
  児童手当 寄附申出 screens), opened by the registered ``web`` host;
* ``desktop`` — the desktop driver on pixels and keys against the real mock thick client
  (``python -m mock_core_ui.desktop``, its 被保険者証再交付 screens) on the session's Xvfb,
  opened by the registered ``desktop`` host.

The two reach their screens differently, as their core systems do: the web goes to a
screen by its URL and calls a resident up by 宛名番号; the desktop client only goes *home*
(the menu), every other screen is reached by clicking, and a resident is called up through
被保険者検索 (カナ + 生年月日 → the list → 選択). So a :class:`Scenario` carries small
navigation functions per implementation (:attr:`Scenario.call_up`,
:attr:`Scenario.open_inquiry`) that use contract calls only; the tests are the same.

Where an implementation does not (yet) keep a promise of the contract, the test is marked
for that kind only in :data:`BROKEN` — a strict xfail pinned to the error it raises now,
so the suite turns red the day the driver is fixed (remove the entry then) or fails in
another way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bots.contracts import Credentials, Driver, DriverHost
from bots.demo.seed import seed
from bots.drivers.registry import HostConfig, host_maker
from bots.errors import ScreenChanged, SelectorNotFound
from bots.queue.db import Database
from bots.recipe.selectors import load_selectors
from bots.screens import Element, Screen, SelectorSet

ROOT = Path(__file__).resolve().parent.parent

#: The implementations the suite runs over: each has a fixture ``<kind>_bench``.
KINDS = ["web", "desktop"]

Box = tuple[int, int, int, int]  # left, top, right, bottom in the screenshot's pixels


@dataclass(frozen=True)
class Broken:
    """A promise of the contract an implementation does not keep yet (see the report of
    issue #15 for the fix): what it raises instead, and why that breaks the contract."""

    raises: type[BaseException]
    reason: str


#: (kind, test) → how the kind breaks the test's promise today.
BROKEN: dict[tuple[str, str], Broken] = {}


@dataclass
class Scenario:
    """The names (in the implementation's selector file) and values the suite works with:
    one procedure's entry screen, its result and its inquiry, and how each is reached."""

    home: str  # a screen reached by goto after logging in (the menu)
    entry: str  # the entry screen
    #: logged in, onto the entry screen with the bench's resident called up
    call_up: Callable[[Bench], None]
    identity: tuple[str, ...]  # what the entry shows of the resident; the first, the number
    #: selects chosen as the core system shows them (label, or code: ``by_value``)
    eras: tuple[tuple[str, str, bool], ...]
    absent: tuple[str, bool]  # an option the first of ``eras`` does not have (by value?)
    date: tuple[tuple[str, str], ...]  # fields typed, in order
    choice: tuple[str, str]  # a select chosen by its value
    tick: tuple[str, dict[str, str]]  # a radio button (and the parameters it is bound with)
    remarks: str  # a free text field: the application's tag goes here
    register: str
    confirm: str  # the confirm dialog's exact text
    errors: str  # where the core system lists what it refuses
    result: str  # the screen after an accepted registration
    success: str | None  # what shows an accepted registration (None: the result's marker)
    receipt: str  # the 受付番号 on it
    receipt_pattern: str
    #: onto the inquiry screen, its search for the registrations of this tag sent
    open_inquiry: Callable[[Bench, str], None]
    inquiry_rows: str
    inquiry_columns: dict[str, str]  # "receipt" and "remarks" → the row's column elements
    stored: dict[str, str]  # what the core system must have stored of the complete entry
    missing: str  # an element that is not on the entry screen
    refused_because: str  # a word of the core system's refusal of an incomplete entry


@dataclass
class Bench:
    """One implementation on its core system, for one test."""

    kind: str
    driver: Driver
    selectors: SelectorSet
    scenario: Scenario
    resident: str  # a resident the core system knows (宛名番号 / 被保険者番号)
    #: what the core system stored: one flat mapping per record, with ``receipt_no``,
    #: ``subject_no`` (the resident) and ``remarks`` beside the entry's items
    records: Callable[[], list[dict[str, Any]]]
    box: Callable[[Element], Box]  # where an element shows in a screenshot
    quick: Callable[[], AbstractContextManager[None]]  # short waits, for what is not there
    host: DriverHost
    notes: dict[str, Any] = field(default_factory=dict)

    def element(self, name: str) -> Element:
        return self.selectors.element(name)

    def screen(self, name: str) -> Screen:
        return self.selectors.screen(name)


@pytest.fixture(params=KINDS)
def bench(request: pytest.FixtureRequest) -> Bench:
    broken = BROKEN.get((request.param, request.node.originalname))
    if broken is not None:
        mark = pytest.mark.xfail(raises=broken.raises, reason=broken.reason, strict=True)
        request.applymarker(mark)
    bench: Bench = request.getfixturevalue(f"{request.param}_bench")
    return bench


# -- the web implementation ------------------------------------------------------------------


def _web_call_up(b: Bench) -> None:
    """寄附申出: the entry screen by its URL, the resident called up by 宛名番号."""
    d = b.driver
    d.ensure_session()
    d.goto(b.screen("kifu_entry"))
    field_, button = b.element("kifu_entry.call_atena_no"), b.element("kifu_entry.call")
    d.fill(field_, b.resident)
    d.check_values([(field_, b.resident)])
    d.click(button)
    d.expect_screen(b.screen("kifu_entry"))


def _web_open_inquiry(b: Bench, tag: str) -> None:
    """The inquiry screen by its URL, searched by the tag in 備考."""
    d = b.driver
    d.goto(b.screen("kifu_inquiry"))
    d.fill(b.element("kifu_inquiry.remarks"), tag)
    d.click(b.element("kifu_inquiry.submit"))


WEB = Scenario(
    home="menu",
    entry="kifu_entry",
    call_up=_web_call_up,
    identity=(
        "kifu_entry.subject_atena_no",
        "kifu_entry.subject_name",
        "kifu_entry.subject_kana",
    ),
    eras=(
        ("kifu_entry.moushide_era", "令和", False),
        ("kifu_entry.from_era", "令和", False),
        ("kifu_entry.to_era", "令和", False),
    ),
    absent=("天保", False),
    date=(
        ("kifu_entry.moushide_year", "7"),
        ("kifu_entry.moushide_month", "4"),
        ("kifu_entry.moushide_day", "1"),
        ("kifu_entry.from_year", "7"),
        ("kifu_entry.from_month", "5"),
        ("kifu_entry.from_day", "1"),
        ("kifu_entry.to_year", "8"),
        ("kifu_entry.to_month", "3"),
        ("kifu_entry.to_day", "31"),
    ),
    choice=("kifu_entry.kifu_saki", "2"),
    tick=("kifu_entry.kifu_kubun", {"kifu_kubun_code": "1"}),
    remarks="kifu_entry.remarks",
    register="kifu_entry.register",
    confirm="登録してよろしいですか？",
    errors="kifu_entry.errors",
    result="kifu_result",
    success=None,
    receipt="kifu_result.receipt_no",
    receipt_pattern=r"JF[0-9]{8}",
    open_inquiry=_web_open_inquiry,
    inquiry_rows="kifu_inquiry.result_rows",
    inquiry_columns={
        "receipt": "kifu_inquiry.result_receipt_no",
        "remarks": "kifu_inquiry.result_remarks",
    },
    stored={
        "moushide_date": "2025-04-01",
        "kikan_from": "2025-05-01",
        "kikan_to": "2026-03-31",
        "kifu_kubun": "1",
        "kifu_saki": "2",
    },
    missing="kifu_result.receipt_no",
    refused_because="申出年月日",
)


@pytest.fixture(scope="module")
def web_host(core_url: str) -> Iterator[DriverHost]:
    """The registered ``web`` host (one Chromium for the module), as a run makes it."""
    host = host_maker("web")(HostConfig(core_url=core_url, timeout_ms=10_000), None)
    yield host
    host.close()


@pytest.fixture
def web_bench(web_host: DriverHost, core: Any, db: Database) -> Iterator[Bench]:
    from bots.drivers.playwright_web import PlaywrightDriver

    seed(db, 1, core.url, problems=False)  # the residents of the demo, in the core system
    core._call("/_testing/forms/reset", "POST", {})
    selectors = load_selectors(ROOT / "selectors" / "jidou_teate_kifu.yaml")
    driver = web_host.open(selectors, Credentials("rpa01", "renkei-demo"))
    assert isinstance(driver, PlaywrightDriver)

    def box(element: Element) -> Box:
        found = driver.locate(element).bounding_box()
        assert found is not None, element.qualified
        x, y, w, h = found["x"], found["y"], found["width"], found["height"]
        return int(x), int(y), int(x + w), int(y + h)

    @contextmanager
    def quick() -> Iterator[None]:
        before, driver.timeout_ms = driver.timeout_ms, 500
        try:
            yield
        finally:
            driver.timeout_ms = before

    yield Bench(
        kind="web",
        driver=driver,
        selectors=selectors,
        scenario=WEB,
        resident="0000100001",
        records=lambda: [
            {**r, **r["data"]} for r in core._call("/_testing/forms/jidou_teate_kifu")
        ],
        box=box,
        quick=quick,
        host=web_host,
    )
    driver.close()


# -- the desktop implementation --------------------------------------------------------------


def _desktop_call_up(b: Bench) -> None:
    """被保険者証再交付: from the menu to 被保険者検索, the resident found by カナ and 生年月日
    (exactly one row, their number), 選択 — as the desktop recipe does it."""
    d = b.driver
    d.ensure_session()  # the menu, whatever was left open
    d.click(b.element("menu.hihokenshashou_entry"))
    d.expect_screen(b.screen("hihokenshashou_search"))
    typed = [
        (b.element("hihokenshashou_search.kana"), b.notes["kana"]),
        (b.element("hihokenshashou_search.birth"), b.notes["birth"]),
    ]
    for element, value in typed:
        d.fill(element, value)
    d.check_values(typed)
    d.click(b.element("hihokenshashou_search.search"))
    found = d.read_rows(
        b.element("hihokenshashou_search.results"),
        {"hno": b.element("hihokenshashou_search.result_hno")},
    )
    assert [row["hno"] for row in found] == [b.resident], found
    d.click(b.element("hihokenshashou_search.choose"))
    d.expect_screen(b.screen("hihokenshashou_entry"))


def _desktop_open_inquiry(b: Bench, tag: str) -> None:
    """申請照会 lists a person's registrations (not a search by 備考): the resident's."""
    d = b.driver
    d.ensure_session()
    d.click(b.element("menu.hihokenshashou_inquiry"))
    d.expect_screen(b.screen("hihokenshashou_inquiry"))
    d.fill(b.element("hihokenshashou_inquiry.hno"), b.resident)
    d.click(b.element("hihokenshashou_inquiry.inquire"))
    d.take_alerts()  # 「該当する申請はありません。」 is the answer of an empty list


DESKTOP = Scenario(
    home="menu",
    entry="hihokenshashou_entry",
    call_up=_desktop_call_up,
    identity=("hihokenshashou_entry.subject_hno", "hihokenshashou_entry.subject_name"),
    eras=(("hihokenshashou_entry.date_era", "5", True),),  # a code list: 5 令和
    absent=("9", True),  # 1 明治 … 5 令和
    date=(
        ("hihokenshashou_entry.date_year", "8"),
        ("hihokenshashou_entry.date_month", "11"),
        ("hihokenshashou_entry.date_day", "20"),
    ),
    choice=("hihokenshashou_entry.riyuu", "1"),  # 紛失
    tick=("hihokenshashou_entry.koufu", {"koufu_code": "1"}),  # 窓口交付
    remarks="hihokenshashou_entry.remarks",
    register="hihokenshashou_entry.register",
    confirm="登録しますか？",
    errors="error.message",
    result="hihokenshashou_result",
    success="hihokenshashou_result.done",
    receipt="hihokenshashou_result.receipt_no",
    receipt_pattern=r"KH[0-9]{8}",
    open_inquiry=_desktop_open_inquiry,
    inquiry_rows="hihokenshashou_inquiry.results",
    inquiry_columns={
        "receipt": "hihokenshashou_inquiry.result_receipt_no",
        "remarks": "hihokenshashou_inquiry.result_remarks",
    },
    stored={"shinsei_date": "2026-11-20", "riyuu": "1", "koufu": "1"},
    missing="hihokenshashou_result.receipt_no",
    refused_because="申請日",
)


@pytest.fixture(scope="module")
def desktop_client(x_display: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The mock thick client (one for the module, its own store) on the session's Xvfb."""
    from desktop_client import MockClient

    client = MockClient.start(tmp_path_factory.mktemp("desktop"), tag="contract")
    try:
        yield client
    finally:
        client.stop()


@pytest.fixture(scope="module")
def desktop_host(desktop_client: Any) -> Iterator[DriverHost]:
    """The registered ``desktop`` host, attached to the display the client shows on."""
    host = host_maker("desktop")(HostConfig(core_url="", timeout_ms=10_000), None)
    yield host
    host.close()


@pytest.fixture
def desktop_bench(desktop_host: DriverHost, desktop_client: Any) -> Iterator[Bench]:
    from bots.drivers.desktop.driver import DesktopDriver
    from mock_core_ui.desktop import residents, store

    person = residents.demo(1)[0]  # the client's first 被保険者 (--demo-residents)
    selectors = load_selectors(ROOT / "selectors" / "kaigo_desktop_hihokenshashou.yaml")
    driver = desktop_host.open(selectors, Credentials("rpa01", "renkei-demo"))
    assert isinstance(driver, DesktopDriver)

    def box(element: Element) -> Box:
        found = driver.eyes.find(element).region
        window = driver.eyes.window_of(selectors.screen(element.screen))
        inside = found.relative_to(window)  # the screenshot is the window's
        return inside.x, inside.y, inside.right, inside.bottom

    @contextmanager
    def quick() -> Iterator[None]:
        before = driver.timeout
        driver.timeout = driver.eyes.timeout = driver.hands.timeout = 2.0
        try:
            yield
        finally:
            driver.timeout = driver.eyes.timeout = driver.hands.timeout = before

    def records() -> list[dict[str, Any]]:
        stored = store.registrations(desktop_client.store, procedure="kaigo_hihokenshashou")
        return [{**r, **r["data"], "subject_no": r["hihokensha_no"]} for r in stored]

    yield Bench(
        kind="desktop",
        driver=driver,
        selectors=selectors,
        scenario=DESKTOP,
        resident=person.hihokensha_no,
        records=records,
        box=box,
        quick=quick,
        host=desktop_host,
        notes={"kana": person.kana, "birth": person.birth_date.strftime("%Y%m%d")},
    )
    driver.close()


# -- helpers that use the contract only ------------------------------------------------------


def _called(b: Bench) -> None:
    """Logged in, on the entry screen with the resident called up."""
    b.scenario.call_up(b)


def _typed(b: Bench, tag: str) -> list[tuple[Element, str]]:
    """Every item of the entry filled as the recipe would, in its order (the choice before
    the tick, as the desktop recipe does: see the report of #15 on the desktop select); what
    was typed (and chosen by value), the typed fields first."""
    s, d = b.scenario, b.driver
    chosen = []
    for era, option, by_value in s.eras:
        d.select(b.element(era), option, by_value=by_value)
        if by_value:
            chosen.append((b.element(era), option))
    typed = [(b.element(name), value) for name, value in s.date]
    for element, value in typed:
        d.fill(element, value)
    d.select(b.element(s.choice[0]), s.choice[1], by_value=True)
    tick, params = s.tick
    d.check(b.element(tick).bind(params))
    d.fill(b.element(s.remarks), f"電子申請 {tag}")
    return [
        *typed,
        *chosen,
        (b.element(s.choice[0]), s.choice[1]),
        (b.element(s.remarks), f"電子申請 {tag}"),
    ]


def _submit(b: Bench, confirm: str | None = None) -> list[str]:
    s = b.scenario
    success = b.element(s.success) if s.success else b.screen(s.result).marker
    assert success is not None
    return b.driver.submit(
        b.element(s.register), confirm or s.confirm, success, b.element(s.errors)
    )


def _inquire(b: Bench, tag: str) -> list[dict[str, str]]:
    s = b.scenario
    s.open_inquiry(b, tag)
    columns = {k: b.element(v) for k, v in s.inquiry_columns.items()}
    return b.driver.read_rows(b.element(s.inquiry_rows), columns)


def _mine(b: Bench, tag: str) -> list[dict[str, Any]]:
    return [r for r in b.records() if tag in str(r.get("remarks") or "")]


# -- the contract ----------------------------------------------------------------------------


def test_a_session_opens_and_knows_which_screen_shows(bench: Bench) -> None:
    s, d = bench.scenario, bench.driver
    d.ensure_session()
    d.goto(bench.screen(s.home))
    d.expect_screen(bench.screen(s.home))

    with bench.quick(), pytest.raises(ScreenChanged) as caught:
        d.expect_screen(bench.screen(s.entry))  # the menu is not the entry screen
    assert caught.value.screen == s.entry

    d.ensure_session()  # already logged in: nothing to do, still on a known screen
    s.call_up(bench)
    d.expect_screen(bench.screen(s.entry))
    assert bench.host.healthy() and bench.host.alive(d)


def test_the_resident_called_up_is_read_back_one_by_one_and_all_at_once(bench: Bench) -> None:
    _called(bench)
    identity = [bench.element(name) for name in bench.scenario.identity]

    together = bench.driver.read_texts(identity)
    one_by_one = [bench.driver.read_text(e) for e in identity]

    assert together == one_by_one
    assert together[0].strip() == bench.resident
    assert all(text.strip() for text in together), together


def test_what_was_typed_is_read_back_and_a_difference_is_a_screen_change(bench: Bench) -> None:
    _called(bench)
    typed = _typed(bench, "[renkei:contract-typed]")

    bench.driver.check_values(typed)  # as typed, chosen by value: no error

    year, value = typed[0]
    with pytest.raises(ScreenChanged) as caught:
        bench.driver.check_values([(year, value + "1")])
    assert caught.value.element == year.name


def test_an_option_that_is_not_there_is_a_screen_change_naming_it(bench: Bench) -> None:
    _called(bench)
    era = bench.element(bench.scenario.eras[0][0])
    option, by_value = bench.scenario.absent

    with bench.quick(), pytest.raises(ScreenChanged) as caught:
        bench.driver.select(era, option, by_value=by_value)

    assert f"「{option}」" in str(caught.value)
    assert caught.value.element == era.name


def test_an_incomplete_entry_is_refused_with_the_core_systems_words(bench: Bench) -> None:
    _called(bench)
    bench.driver.fill(bench.element(bench.scenario.remarks), "電子申請 [renkei:contract-refused]")

    said = _submit(bench)

    assert said, "an entry without its 申出年月日 must be refused"
    assert any(bench.scenario.refused_because in m for m in said), said
    assert _mine(bench, "[renkei:contract-refused]") == []


def test_a_complete_entry_is_registered_once_and_found_by_its_tag(bench: Bench) -> None:
    s, tag = bench.scenario, "[renkei:contract-ok]"
    _called(bench)
    _typed(bench, tag)
    assert _inquire(bench, tag) == []  # not there yet
    _called(bench)
    _typed(bench, tag)

    assert _submit(bench) == []
    bench.driver.expect_screen(bench.screen(s.result))
    receipt = bench.driver.read_text(bench.element(s.receipt)).strip()

    assert re.fullmatch(s.receipt_pattern, receipt), receipt
    stored = _mine(bench, tag)
    assert len(stored) == 1
    record = stored[0]
    assert {k: record.get(k) for k in s.stored} == s.stored
    assert record.get("receipt_no") == receipt and record.get("subject_no") == bench.resident
    found = _inquire(bench, tag)
    assert [r["receipt"].strip() for r in found] == [receipt]
    assert tag in found[0]["remarks"]
    assert bench.driver.count(bench.element(s.inquiry_rows)) == 1


def test_a_confirm_dialog_that_says_something_else_is_never_accepted(bench: Bench) -> None:
    tag = "[renkei:contract-confirm]"
    _called(bench)
    _typed(bench, tag)

    with bench.quick(), pytest.raises(ScreenChanged):
        _submit(bench, confirm="削除してよろしいですか？")

    assert _mine(bench, tag) == []


def test_a_screenshot_blacks_out_the_masked_elements(bench: Bench, tmp_path: Path) -> None:
    _called(bench)
    remarks = bench.element(bench.scenario.remarks)
    bench.driver.fill(remarks, "電子申請 個人番号 123456789018")
    left, top, right, bottom = bench.box(remarks)
    inner = (left + 3, top + 3, right - 3, bottom - 3)

    plain = Image.open(bench.driver.screenshot(tmp_path / "plain.png", [])).convert("RGB")
    masked = Image.open(bench.driver.screenshot(tmp_path / "masked.png", [remarks])).convert("RGB")

    shown = plain.crop(inner).getcolors(maxcolors=1 << 16) or []
    assert len(shown) > 1, "unmasked, the field shows its text"
    colours = masked.crop(inner).getcolors(maxcolors=4)
    assert colours is not None and [c for _, c in colours] == [(0, 0, 0)]


def test_an_element_that_is_not_there_names_the_screen_the_element_and_what_was_tried(
    bench: Bench,
) -> None:
    _called(bench)
    missing = bench.element(bench.scenario.missing)

    with bench.quick(), pytest.raises(SelectorNotFound) as caught:
        bench.driver.read_text(missing)

    assert caught.value.screen == missing.screen and caught.value.element == missing.name
    # what was tried names the strategy by its value (a CSS selector, an image file): each
    # kind words its attempts its own way (web: css='…'; desktop: 画像『…』)
    assert any(missing.strategies[0].value in tried for tried in caught.value.tried)
    assert all(tried in str(caught.value) for tried in caught.value.tried)


def test_the_host_tells_a_closed_driver_from_a_live_one(bench: Bench) -> None:
    other = bench.host.open(bench.selectors, Credentials("rpa01", "renkei-demo"))
    other.ensure_session()
    assert bench.host.alive(other)

    other.close()

    assert not bench.host.alive(other)
    assert bench.host.healthy()  # one driver closing leaves the host and the others alone
    _called(bench)
