"""母子保健 subsystem (妊娠の届出): a single-page app drawn by JavaScript from a JSON API.

Another vendor's product in the same mock: see ``docs/mock-core-boshi.md`` for the screen
contract. ``bp`` is registered by ``mock_core_ui.app.create_app``.
"""

from __future__ import annotations

from .views import bp

__all__ = ["bp"]
