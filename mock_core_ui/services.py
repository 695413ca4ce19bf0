"""Access to the per-app objects from inside a request (kept tiny to avoid import cycles)."""

from __future__ import annotations

from typing import cast

from flask import current_app

from .store import Store

STORE_KEY = "mock_core_store"


def store() -> Store:
    """The app's :class:`Store` (created by ``create_app``)."""
    return cast(Store, current_app.extensions[STORE_KEY])
