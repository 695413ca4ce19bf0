"""The small error hierarchy of renkei, mapped one-to-one onto outcomes.

Every error a run can meet is one of four kinds, and the kind alone decides what happens to
the application (see :mod:`bots.engine.outcomes`):

* :class:`RecipeError` — the recipe or selector file is wrong. Raised at load time, before
  any resident's record is touched; a run never starts with a broken recipe.
  :class:`RecipeErrors` carries every problem of a file found in one pass.
* :class:`ScreenChanged` (with :class:`SelectorNotFound`) — the core system's screen is not
  what the selectors describe (a vendor update). The bot must not type further: the run
  stops for that subsystem, and the application goes back to the queue untouched.
* :class:`BusinessError` — the application's data, or the core system's rejection of it.
  Retrying cannot help: it goes to a person (``needs_review``) with a reason they can act on.
* :class:`TransientError` — time-outs, HTTP 5xx, an expired session. Retried with back-off.

Messages are written for the person who acts on them: a clerk for business errors, IT
staff for recipe errors and screen changes. They never carry a sensitive value: every text
of these errors (the message, ``reason``, ``core_message``, ``detail``) is scrubbed with
:func:`bots.masking.scrub_text` when the error is made — while the application's values
are recorded — and again whenever it is shown, so a traceback, a log line or the CLI's
error line is masked wherever it is printed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from bots.masking import scrub_text


class RenkeiError(Exception):
    """Base of all errors renkei raises on purpose; its text is masked (see module doc)."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(scrub_text(a) if isinstance(a, str) else a for a in args))

    def __str__(self) -> str:
        return scrub_text(super().__str__())


@dataclass(frozen=True)
class SourcePos:
    """Where a node of a recipe or selector file stands, for error messages."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class RecipeError(RenkeiError):
    """A recipe or selector file is invalid; ``pos`` says where."""

    def __init__(self, message: str, pos: SourcePos | None = None) -> None:
        self.pos = pos
        self.message = scrub_text(message)
        super().__init__(f"{pos}: {message}" if pos else message)

    @property
    def problems(self) -> list[RecipeError]:
        """Every problem this error reports: itself (see :class:`RecipeErrors`)."""
        return [self]


class RecipeErrors(RecipeError):
    """Several problems of one file, found in one pass, so IT fixes them all at once.

    It is a :class:`RecipeError` (``pos`` and ``message`` are the first problem's), so every
    ``except RecipeError`` handles it; ``str()`` gives one ``file:line:column: message`` line
    per problem, and ``problems`` lists them.
    """

    def __init__(self, problems: Sequence[RecipeError]) -> None:
        if not problems:
            raise ValueError("RecipeErrors needs at least one problem")
        first = problems[0]
        super().__init__(first.message, first.pos)
        self._problems = list(problems)
        self.args = ("\n".join(str(p) for p in self._problems),)

    @property
    def problems(self) -> list[RecipeError]:
        return list(self._problems)

    @staticmethod
    def of(problems: Sequence[RecipeError]) -> RecipeError:
        """One problem as itself, several as one :class:`RecipeErrors`."""
        return problems[0] if len(problems) == 1 else RecipeErrors(problems)


class Reported(RecipeError):
    """A consequence of a problem already reported (a step naming an element whose own
    definition is broken): it stops that check but adds nothing to the list."""

    def __init__(self) -> None:
        super().__init__("(already reported)")

    @property
    def problems(self) -> list[RecipeError]:
        return []


class Problems:
    """Every problem of one file found in one pass: each check runs inside
    :meth:`collect`, so a mistake stops that check only, and :meth:`raise_any` raises them
    all, once each, in the order they stand in their files."""

    def __init__(self) -> None:
        self.found: list[RecipeError] = []

    @contextmanager
    def collect(self) -> Iterator[None]:
        try:
            yield
        except RecipeError as exc:
            self.found.extend(exc.problems)

    def add(self, problems: Sequence[RecipeError]) -> None:
        self.found.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.found)

    def raise_any(self, first_file: str | None = None) -> None:
        """Raise what was found; ``first_file``'s problems first (the file being loaded,
        before the selector file it names), each file in line order."""
        if not self.found:
            return
        unique = list({str(p): p for p in self.found}.values())
        unique.sort(key=lambda p: _order(p, first_file))
        raise RecipeErrors.of(unique)


def _order(problem: RecipeError, first_file: str | None) -> tuple[bool, str, int, int]:
    pos = problem.pos
    if pos is None:
        return (False, "", 0, 0)
    return (pos.file != first_file, pos.file, pos.line, pos.column)


class ScreenChanged(RenkeiError):
    """The screen is not what the selectors describe: stop typing, tell IT which element."""

    def __init__(self, screen: str, element: str, detail: str) -> None:
        self.screen = screen
        self.element = element
        self.detail = scrub_text(detail)
        super().__init__(f"画面が想定と異なります（画面 {screen}、要素 {element}）: {detail}")


class SelectorNotFound(ScreenChanged):
    """No locator strategy of a logical element matched; ``tried`` is the call log."""

    def __init__(self, screen: str, element: str, tried: Sequence[str]) -> None:
        self.tried = list(tried)
        detail = "どの探索方法でも見つかりません: " + "; ".join(self.tried)
        super().__init__(screen, element, detail)


class BusinessError(RenkeiError):
    """The data or the core system's answer needs a person; never retried automatically.

    ``reason`` is the plain-words explanation for the clerk; ``core_message`` the core
    system's own words when it rejected the entry.
    """

    def __init__(self, reason: str, core_message: str | None = None) -> None:
        self.reason = scrub_text(reason)
        self.core_message = None if core_message is None else scrub_text(core_message)
        text = (
            reason if not core_message else f"{reason}（基幹システムのメッセージ: {core_message}）"
        )
        super().__init__(text)


class InvalidApplication(BusinessError):
    """The application's own data fails validation; nothing was sent to the core system."""


class IdentityMismatch(BusinessError):
    """The resident the core system shows is not the applicant: never key into that record."""


class CoreRejected(BusinessError):
    """The core system refused the entry with a message (validation on its side)."""


class TransientError(RenkeiError):
    """Something that may pass on a later try: time-out, server error, expired session."""


class SessionExpired(TransientError):
    """The core system sent us back to its login screen."""


class CoreUnavailable(TransientError):
    """The core system answers 503 (maintenance, the nightly batch): pause this subsystem."""


class LoginFailed(RenkeiError):
    """The core system refused the bot's credentials: nothing can be keyed, stop.

    Raised by a driver of any kind at log-in; the engine stops the subsystem, as for a
    screen change (no retry makes wrong credentials right).
    """


class LeaseLost(RuntimeError):
    """The claim (or licence slot) expired and another runner took it over.

    Raised by the queue and the licence slots; the engine gives the application up without
    touching it again. Not a :class:`RenkeiError`: it is about this runner, not about
    the application or the core system.
    """


class AuditWriteFailed(RenkeiError):
    """An audit line or anchor could not be written (disk full, file gone, no permission).

    Not a business or transient error: nothing may be keyed without its evidence, so the
    run ends here, before the next step touches the core system.
    """

    def __init__(self, path: str, detail: str) -> None:
        self.path = path
        self.detail = scrub_text(detail)
        super().__init__(
            f"監査記録 {path} に書き込めないため、実行を停止しました（基幹システムへの操作はこれ以上行いません）: {detail}"
        )
