"""``python -m mock_core_ui.desktop``: start the client (options: docs/mock-desktop.md)."""

from __future__ import annotations

import sys

from . import residents, store
from .app import App
from .options import parse
from .screens import login


def main(argv: list[str] | None = None) -> int:
    """Prepare the store and the 被保険者, open the ログイン window, run until 終了."""
    options = parse(argv)
    store.create(options.store)
    store.put_insured(options.store, residents.load(options.residents, options.demo_residents))
    app = App(options)
    login(app)
    app.root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
