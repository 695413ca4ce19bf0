"""What every view of the console shares: the installation it serves, who is signed in,
the action a route performs, and messages for the next page.

Views stay thin: they read the form, call the same service functions as the CLI
(:mod:`bots.review`, :mod:`bots.scheduling`, :mod:`bots.audit`, …) with the signed-in
person as ``by``, and show the result. A :class:`~bots.errors.RenkeiError` or a service's
own ``ValueError`` becomes a message on the page, never a traceback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from flask import current_app, flash, g, request

from bots.config import Settings
from bots.console.accounts import LoginPolicy, User
from bots.queue.db import Database

if TYPE_CHECKING:
    from bots.errors import RecipeError
    from bots.recipe.model import Recipe

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Installation:
    """The installation a console serves: its settings, its management database."""

    settings: Settings
    policy: LoginPolicy = field(default_factory=LoginPolicy)

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.db_url)

    @property
    def audit_dir(self) -> Path:
        return self.settings.audit_dir

    _loaded: tuple[tuple[Any, ...], Any] | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def recipes(self) -> tuple[dict[str, Recipe], dict[Path, RecipeError]]:
        """Every recipe that loads now, and each broken file's error.

        Loaded again whenever a file under recipes/ or selectors/ changed (IT may have just
        edited one), else the last load: a page must not parse every YAML file.
        """
        from bots.service import load_recipes_each

        stamp = self._stamp()
        with self._lock:
            if self._loaded is None or self._loaded[0] != stamp:
                self._loaded = (stamp, load_recipes_each(self.settings))
            loaded: tuple[dict[str, Recipe], dict[Path, RecipeError]] = self._loaded[1]
            return loaded

    def _stamp(self) -> tuple[Any, ...]:
        """Name, size and modification time of every file the recipes are loaded from."""
        found = []
        for folder in (self.settings.recipes_dir, self.settings.selectors_dir):
            for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
                if path.is_file():
                    info = path.stat()
                    found.append((str(path), info.st_size, info.st_mtime_ns))
        return tuple(found)

    def titles(self) -> dict[str, str]:
        recipes, _ = self.recipes()
        return {p: r.title for p, r in recipes.items()}


def installation() -> Installation:
    found: Installation = current_app.extensions["renkei"]
    return found


def user() -> User:
    """The signed-in person (the guard has set it before any view runs)."""
    found: User = g.user
    return found


def who() -> str:
    """The name every service call records as ``by``."""
    return user().name


def action(name: str, *, also_get: bool = False) -> Callable[[F], F]:
    """Declare what a route does (a key of :data:`bots.console.roles.ACTIONS`).

    The guard checks it for POST (and every other changing method); with ``also_get``
    also for reading the page (the accounts page is the administrator's alone).
    """

    def mark(view: F) -> F:
        view._renkei_action = name  # type: ignore[attr-defined]
        view._renkei_also_get = also_get  # type: ignore[attr-defined]
        return view

    return mark


def done(message: str) -> None:
    flash(message, "ok")


def failed(message: str) -> None:
    flash(message, "error")


def note() -> str:
    """The note every action carries (理由・メモ), stripped; empty when none was typed."""
    return (request.form.get("note") or "").strip()
