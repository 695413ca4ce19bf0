"""``renkei console``: the web console for staff, IT and auditors (issue 12), in Japanese.

* :mod:`.app` — the Flask factory and what holds for every page (CSRF, CSP, errors);
* :mod:`.auth` — signing in and out, and the guard before every view;
* :mod:`.accounts` — accounts, passwords, lock-out and sessions (the CLI uses it too);
* :mod:`.roles` — the four roles and the one table of who may do what;
* :mod:`.web` — what views share (the installation, the signed-in person);
* :mod:`.views` — the pages, one blueprint per area;
* :mod:`.server` — serving it with waitress.

Every action calls the same service functions as the CLI, with the signed-in person as
``by``; nothing is implemented twice.
"""
