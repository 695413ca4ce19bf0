"""What a web core system answered that a recipe cannot key through, and where its screens are.

Kept apart from the driver: the engine maps these to outcomes (a refused log-in or a
screen that is not what the selector file says stops the subsystem; a 5xx is transient),
and the screen addresses are a rule of their own (``screen_address``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bots.errors import ScreenChanged

#: Playwright's words for an action on an element of the wrong kind (a fill into a heading,
#: a check of a link): the selector points at something else, which no retry changes.
_WRONG_KIND = (
    "Element is not a",
    "Not a checkbox or radio button",
    "Not an input element",
    "Input of type",
    "Cannot type text into",
    "Malformed value",
    "Clicking the checkbox did not change its state",
)


class LoginScreenChanged(ScreenChanged):
    """The log-in screen is not what the selector file's ``login:`` describes.

    A wrong URL that serves another page, a field or button that is not there or is of
    another kind: the bot cannot log in, and no retry changes that — IT fixes the selector
    file (or the vendor changed the screen). Stops the subsystem like any screen change.
    """

    def __init__(self, screen: str, element: str, url: str, detail: str) -> None:
        self.url = url
        super().__init__(screen, element, f"ログイン画面（{url}）: {detail}")


class ScreenUnreachable(ScreenChanged):
    """A screen's configured URL (or the click that loads it) answered an HTTP 4xx error.

    404/410: the address is not (or no longer) a page of the core system — a typing
    mistake in the selector file or a vendor update that moved the screen; 401/403: the
    bot's account may not open it. Either way IT must act and a retry cannot help, so it
    is a screen change (the subsystem stops, the application goes back untouched). A 5xx
    is the server's trouble and stays transient (retried); 409 is the stale-form answer.
    """

    def __init__(self, screen: str, element: str, status: int, url: str, what: str) -> None:
        self.status = status
        self.url = url
        if status in (404, 410):
            problem = "が見つかりません"
        elif status in (401, 403):
            problem = "へのアクセスが拒否されました"
        else:
            problem = "を開けません"
        super().__init__(
            screen, element, f"画面 {screen} の{what}{problem}（HTTP {status}: {url}）"
        )


def screen_address(base_url: str, url: str) -> str:
    """The address of a screen URL under the configured core URL.

    ``/a`` and ``a`` both mean the path ``a`` under the base, also when the base has a
    path of its own (``http://core.local/kosodate`` → ``…/kosodate/a``): a recipe writer
    thinks of screen URLs as the part after the core URL, and :func:`urllib.parse.urljoin`
    would instead drop the base's last segment for ``a`` and its whole path for ``/a``.
    An absolute ``http(s)://`` URL is taken as it is.
    """
    if urlsplit(url).scheme in ("http", "https"):
        return url
    return base_url.rstrip("/") + "/" + url.lstrip("/")
