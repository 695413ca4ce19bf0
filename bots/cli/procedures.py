"""(stub: ``renkei procedures`` and ``renkei procedure enable/disable``, filled in by its owner)"""

from __future__ import annotations

import click


@click.group("procedure")
def procedure() -> None:
    """手続の有効・無効 / Switch procedures on and off."""
