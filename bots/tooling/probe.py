"""``renkei selectors probe``: which strategy of every element finds it on the screens now.

The check to run after a vendor update, before the next run meets the change. The probe
logs in (when the selector file has ``login:``), opens every screen that has a ``url``
and, for every element of every screen shown, counts what each strategy matches — the
strategies are the driver's own (:func:`bots.drivers.locating.strategy_locator`), so
what the probe finds is what a run finds. Screens without a URL (an entry form reached
from a search result) are probed on the way of a dry run of one application
(``--application``, :mod:`bots.tooling.dryrun`), which stops before 登録 and changes
nothing: after every top-level step, every screen whose marker shows is probed again.

Each element ends in one of:

=============  =======================================================================
``ok``         its first strategy matches
``drift``      a later strategy matches while the first does not: update the file
``missing``    its screen was shown and no strategy matches it: a run would stop here
``absent``     not shown, and it need not be: a result list or message that appears
               only after an action (``register``'s errors, ``find_existing``'s rows,
               the rows of a table and their columns), or an element no recipe uses
``not_probed`` its screen was never shown (no URL, not on the dry run's way), or it
               takes a parameter other than ``{index}`` (``{index}`` is probed as 1)
=============  =======================================================================

An element counts as found as soon as one look finds it (the search result rows show
only after the search). Elements inside rows (``within``) are looked for in the first
row shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, Locator, Page

from bots.config import Settings
from bots.contracts import Driver
from bots.drivers.locating import strategy_locator
from bots.drivers.playwright_web import PlaywrightDriver
from bots.errors import LoginFailed, RenkeiError, ScreenChanged, TransientError
from bots.recipe.model import Recipe
from bots.screens import Element, Screen, SelectorSet
from bots.steps.registry import Step
from bots.tooling.dryrun import TryReport, dry_run
from bots.tooling.session import driver_for

#: Best first: a later look replaces an earlier result only by a better one.
RANK = {"ok": 0, "drift": 1, "missing": 2, "absent": 3, "not_probed": 4}


@dataclass
class ElementProbe:
    """What the probe found for one element (``screen.name``)."""

    element: str
    status: str  # a RANK key
    index: int | None = None  # 1-based number of the strategy that matched
    strategy: str | None = None  # its description, css='#x'
    first: str = ""  # the first strategy's description
    note: str = ""  # why (Japanese), for absent / not_probed / missing
    tried: list[str] = field(default_factory=list)  # "css='#x' → 0 件"


@dataclass
class ProbeReport:
    """Every element of one selector file, and how far the probe got."""

    system: str
    elements: dict[str, ElementProbe]
    screens: list[str] = field(default_factory=list)  # shown, in the order first seen
    problems: list[str] = field(default_factory=list)  # a screen or the log-in that failed
    walk: TryReport | None = None

    def of(self, status: str) -> list[ElementProbe]:
        return [e for e in self.elements.values() if e.status == status]


def _elements_in(value: Any) -> Iterable[Element]:
    """Every element a step's attribute holds (an element, or inside lists and tuples)."""
    if isinstance(value, Element):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _elements_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _elements_in(item)


def _all_steps(steps: list[Step]) -> Iterable[Step]:
    for step in steps:
        yield step
        yield from _all_steps(step.children())


#: Steps that change what their screen shows (a search's results, an added row).
ACTIONS = frozenset({"click", "ensure_rows", "popup"})

#: Fields of steps whose elements answer an action: lists that may well be empty.
ANSWERS = frozenset({("register", "errors"), ("register", "success"), ("find_existing", "rows"),
                     ("find_existing", "receipt"), ("find_existing", "remarks")})  # fmt: skip


@dataclass
class Usage:
    """What the recipes do with the elements, for telling "absent" from "missing"."""

    used: set[str] = field(default_factory=set)
    answers: set[str] = field(default_factory=set)  # see ANSWERS
    after_action: set[str] = field(default_factory=set)  # used after an action on its screen


def _step_elements(step: Step) -> Iterable[tuple[str, Element]]:
    if is_dataclass(step):
        for f in fields(step):
            for element in _elements_in(getattr(step, f.name)):
                yield f.name, element


def uses(recipes: Iterable[Recipe]) -> Usage:
    """Walk the recipes' steps in order: which elements they use, which answer an action,
    and which they use only after an action on the same screen (the 選択 link of a search
    result): those show on a screen opened by its URL only after that action."""
    usage = Usage()
    for recipe in recipes:
        for steps in (recipe.already_keyed or [], recipe.steps):
            acted: set[str] = set()  # screens changed by an action since they were entered
            for step in _all_steps(list(steps)):
                screen = getattr(step, "screen", None)
                if step.name in ("goto", "expect_screen") and isinstance(screen, Screen):
                    acted.discard(screen.name)
                for name, element in _step_elements(step):
                    usage.used.add(element.qualified)
                    if (step.name, name) in ANSWERS:
                        usage.answers.add(element.qualified)
                    if element.screen in acted:
                        usage.after_action.add(element.qualified)
                if step.name in ACTIONS:
                    acted |= {e.screen for _, e in _step_elements(step)}
    return usage


class Prober:
    """Looks at the screens shown now and keeps the best result of every element."""

    def __init__(self, selectors: SelectorSet, recipes: Iterable[Recipe] = ()) -> None:
        self.selectors = selectors
        recipes = list(recipes)
        self.usage = uses(recipes)
        self.acted: set[str] = set()  # screens seen after an action on them (dry run)
        self.judge_use = bool(recipes)  # without recipes every element counts as used
        login = selectors.login
        if login is not None:
            names = (login.user, login.password, login.submit)
            self.usage.used |= {f"{login.screen}.{n}" for n in names}
        rows = {
            f"{e.screen}.{e.within}"
            for s in selectors.screens.values()
            for e in s.elements.values()
            if e.within
        }
        self.rows = rows
        self.report = ProbeReport(
            selectors.system,
            {
                e.qualified: ElementProbe(
                    e.qualified,
                    "not_probed",
                    first=e.strategies[0].describe(),
                    note="画面に到達していません（URL がなく、試行の経路にもない画面）",
                )
                for s in selectors.screens.values()
                for e in s.elements.values()
            },
        )

    def observe(self, driver: Driver, step: Step | None) -> None:
        """The dry run's observer: after ``step``, look at what shows; a screen an action
        just changed counts as seen in its changed state (see :meth:`_not_found`)."""
        if step is not None and step.name in ACTIONS:
            self.acted |= {e.screen for _, e in _step_elements(step)}
        self.look(web_driver(driver))

    def look(self, driver: PlaywrightDriver, visited: Screen | None = None) -> None:
        """Probe every screen shown now (``visited``: just opened by its URL)."""
        for screen in self.selectors.screens.values():
            scope = _scope(driver, screen)
            if scope is None:
                continue
            try:
                shown = screen is visited or _shown(scope, screen)
                if not shown:
                    continue
                if screen.name not in self.report.screens:
                    self.report.screens.append(screen.name)
                for element in screen.elements.values():
                    if self.report.elements[element.qualified].status != "ok":
                        self._keep(self._probe(scope, screen, element))
            except PlaywrightError:
                continue  # the page went away under the look: the next look sees it

    def _keep(self, found: ElementProbe) -> None:
        if RANK[found.status] < RANK[self.report.elements[found.element].status]:
            self.report.elements[found.element] = found

    def _probe(self, scope: Page | Frame, screen: Screen, element: Element) -> ElementProbe:
        first = element.strategies[0].describe()
        if element.params:
            if set(element.params) != {"index"}:
                return ElementProbe(
                    element.qualified,
                    "not_probed",
                    first=first,
                    note=f"未確認（パラメータ {', '.join(element.params)} が必要）",
                )
            element = element.bind({"index": 1})
        where: Page | Frame | Locator = scope
        if element.within:
            row = self._first_row(scope, screen.elements[element.within])
            if row is None:
                return ElementProbe(
                    element.qualified,
                    "absent",
                    first=first,
                    note=f"行（{element.within}）が表示されていないため、この画面では確認できません",
                )
            where = row
        counts = [strategy_locator(where, s).count() for s in element.strategies]
        tried = [
            f"{s.describe()} → {n} 件" for s, n in zip(element.strategies, counts, strict=True)
        ]
        hit = next((i for i, n in enumerate(counts) if n), None)
        if hit is not None:
            return ElementProbe(
                element.qualified,
                "ok" if hit == 0 else "drift",
                hit + 1,
                element.strategies[hit].describe(),
                first,
                tried=tried,
            )
        return self._not_found(element, first, tried)

    def _not_found(self, element: Element, first: str, tried: list[str]) -> ElementProbe:
        name, usage = element.qualified, self.usage
        if name in usage.answers or name in self.rows:
            note = "表示されていません（操作の結果として表示される一覧・メッセージ）"
            return ElementProbe(name, "absent", first=first, note=note, tried=tried)
        if name in usage.after_action and element.screen not in self.acted:
            note = "操作の後に表示される要素です（--application の試行の途中で確認できます）"
            return ElementProbe(name, "absent", first=first, note=note, tried=tried)
        if self.judge_use and name not in usage.used:
            note = "見つかりません（どのレシピも使っていない要素: 入力には影響しません）"
            return ElementProbe(name, "absent", first=first, note=note, tried=tried)
        return ElementProbe(
            name, "missing", first=first, note="どの探索方法でも見つかりません", tried=tried
        )

    @staticmethod
    def _first_row(scope: Page | Frame, rows: Element) -> Locator | None:
        for s in rows.strategies:
            loc = strategy_locator(scope, s)
            if loc.count():
                return loc.first
        return None


def _scope(driver: PlaywrightDriver, screen: Screen) -> Page | Frame | None:
    """Where the screen would show now: the page or its named frame (pop-ups: none)."""
    if screen.window:
        return None
    if screen.frame:
        return driver.page.frame(name=screen.frame)
    return driver.page


def _shown(scope: Page | Frame, screen: Screen) -> bool:
    """Whether the screen's marker shows in ``scope`` (no marker: cannot tell, no)."""
    if screen.marker is None:
        return False
    return any(strategy_locator(scope, s).count() for s in screen.marker.strategies)


def probe(
    settings: Settings,
    selectors: SelectorSet,
    recipes: Iterable[Recipe] = (),
    *,
    walk: tuple[Recipe, str] | None = None,
) -> ProbeReport:
    """Probe the screens of ``selectors``; with ``walk`` (a recipe and an application id)
    also the screens a dry run of that application passes through. See the module doc.

    Starts its own Playwright: call it in a thread that holds none.
    """
    prober = Prober(selectors, recipes)
    report = prober.report
    with driver_for(settings, selectors) as driver:
        try:
            _visit(web_driver(driver), prober)
        except (LoginFailed, ScreenChanged, TransientError) as exc:
            report.problems.append(str(exc))
            return report
    if walk is not None:
        recipe, app_id = walk
        report.walk = dry_run(settings, recipe, app_id, observe=prober.observe)
        failed = report.walk.failed_element
        if failed in report.elements and report.elements[failed].status in ("absent", "not_probed"):
            found = report.elements[failed]  # the dry run needed it there and did not find it
            found.status, found.note = "missing", report.walk.problem or found.note
    return report


def _visit(driver: PlaywrightDriver, prober: Prober) -> None:
    """The log-in screen first (before logging in), then every other screen by its URL."""
    selectors, report = prober.selectors, prober.report
    login = selectors.login
    if login is not None:
        screen = selectors.screen(login.screen)
        if screen.url:
            driver.goto(screen)
            prober.look(driver, screen)
    driver.ensure_session()
    for screen in selectors.screens.values():
        if screen.url is None or screen.window or (login and screen.name == login.screen):
            continue
        try:
            driver.goto(screen)
        except ScreenChanged as exc:  # its marker, or its address: say so, look all the same
            report.problems.append(str(exc))
        prober.look(driver, screen)


def web_driver(driver: Driver) -> PlaywrightDriver:
    """The probe reads the page's DOM: only the web driver has one."""
    if not isinstance(driver, PlaywrightDriver):
        raise RenkeiError("画面の確認（selectors probe）は kind: web の画面にだけ使えます")
    return driver


def exit_status(report: ProbeReport) -> int:
    """3 when an element matches nothing or a screen (or the dry run's way) is not what
    the file says, else 0 — drift alone is 0: a run still keys, and reports it."""
    walk_broken = report.walk is not None and report.walk.problem_kind == "screen"
    return 3 if report.of("missing") or report.problems or walk_broken else 0
