"""The clipboard, borrowed and given back: how Japanese text gets into a thick client.

pyautogui types by sending key codes, and there is no key for 山 or ア: ``pyautogui.write``
silently drops every non-ASCII character. So a value is copied to the clipboard and pasted
with the client's paste key; a value is read back the same way (select all, copy).

The clipboard belongs to the clerk at the same desk (or to the next step), so
:func:`borrowed` saves what it holds and puts it back afterwards, also when the step fails —
and so a personal number the bot pasted never stays on the clipboard. Only text is kept:
an image on the clipboard is replaced by empty text (pyperclip reads text only).

pyperclip uses ``xclip`` on X11 (Debian package ``xclip``): the value goes to xclip on its
standard input, never on a command line another process could list.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyperclip
from loguru import logger

from bots.drivers.desktop.errors import ClipboardUnavailable
from bots.drivers.desktop.waiting import poll


def read() -> str:
    """What the clipboard holds as text ("" when it is empty or holds no text)."""
    return str(pyperclip.paste())


def write(text: str, timeout: float = 2.0) -> None:
    """Put ``text`` on the clipboard, and wait until the clipboard gives it back.

    xclip forks and returns before its child owns the selection: until then the previous
    owner still answers, and a paste right away would paste the *old* content (measured:
    one paste in six on a loaded machine). Raises :class:`ClipboardUnavailable` when the
    clipboard does not take the text in time.
    """
    pyperclip.copy(text)
    if poll(lambda: True if read() == text else None, timeout) is None:
        raise ClipboardUnavailable(timeout)


@contextmanager
def borrowed() -> Iterator[None]:
    """Use the clipboard inside the block; afterwards it holds what it held before.

    If it cannot be given back, it is at least emptied (best effort) before the error
    propagates: what the block put there may be a personal number.
    """
    saved = read()
    try:
        yield
    finally:
        try:
            write(saved)
        except ClipboardUnavailable:
            pyperclip.copy("")
            raise
        logger.debug("desktop.clipboard restored ({} characters)", len(saved))
