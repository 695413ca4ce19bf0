"""Procedures whose screens are built from data (``specs/*.yaml``), one per procedure.

``kosodate`` draws them as the 子育て vendor's screens, ``kaigo`` as the legacy 介護保険
vendor's; ``check`` is the vendor's item checks and ``store`` keeps what was registered.
docs/mock-core-forms.md is the manual a recipe writer reads.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask

from .kaigo import bp as kaigo_bp
from .kosodate import bp as kosodate_bp
from .spec import FormSpec, all_specs, specs_of


def menu_groups(subsystem: str) -> Iterator[tuple[str, list[FormSpec]]]:
    """The subsystem's procedures under their menu headings, in spec order."""
    groups: dict[str, list[FormSpec]] = {}
    for spec in specs_of(subsystem):
        groups.setdefault(spec.menu_group, []).append(spec)
    yield from groups.items()


def mount(app: Flask) -> None:
    """Register the screens; a broken spec stops the mock here, naming the file, rather
    than every screen answering 500 later (which a bot reads as "link not found")."""
    all_specs()
    app.register_blueprint(kosodate_bp)
    app.register_blueprint(kaigo_bp)
    app.jinja_env.globals["form_menu"] = menu_groups
