"""What the desktop driver raises when the pixels are not what the templates describe.

Each error is a kind of :mod:`bots.errors` error, so the engine maps it to an outcome
without knowing this driver: a template that is missing, or found twice, or a layout that
drifted from its reference image, is a :class:`~bots.errors.ScreenChanged` (the vendor
changed the screen: stop the subsystem, the application goes back untouched, IT acts).
A screen that does not appear in time, or a client window that is not open, is a
:class:`~bots.errors.TransientError` (the client is slow or restarting: retried later).

The messages are Japanese, for IT staff, and name the screen and the template; the numbers
(score, threshold, scale, position) are kept as attributes too, for logs and reports. No
message carries a field's value: only names and pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bots.drivers.desktop.geometry import Region
from bots.errors import ScreenChanged, SelectorNotFound, TransientError

if TYPE_CHECKING:
    from bots.drivers.desktop.matching import Match


class TemplateNotFound(SelectorNotFound):
    """No place of the search region matches the template well enough.

    ``best`` is the closest place seen (its score and scale say how far off it was: 0.80
    against 0.85 is a threshold to review, 0.30 is a screen that changed).
    """

    def __init__(
        self,
        screen: str,
        template: str,
        threshold: float,
        best: Match | None,
        within: Region,
        element: str | None = None,
    ) -> None:
        self.template = template
        self.threshold = threshold
        self.best = best
        self.within = within
        if best is None:
            tried = (
                f"画像『{template}』: 探索範囲 {within} がテンプレートより小さく、照合できません"
            )
        else:
            tried = (
                f"画像『{template}』: 最高一致度 {best.score:.3f} がしきい値 {threshold:.2f} "
                f"未満（倍率 {best.scale:.2f}、位置 {best.region}、探索範囲 {within}）"
            )
        super().__init__(screen, element or template, [tried])

    def of(self, element: str) -> TemplateNotFound:
        """The same miss naming the logical element (the finder knows only its image)."""
        return TemplateNotFound(
            self.screen, self.template, self.threshold, self.best, self.within, element
        )


class TemplateAmbiguous(ScreenChanged):
    """The template matches at two or more places where one was expected: never guess."""

    def __init__(self, screen: str, template: str, threshold: float, matches: Sequence[Match]):
        self.template = template
        self.threshold = threshold
        self.matches = list(matches)
        places = "、".join(f"位置 {m.region}（一致度 {m.score:.3f}）" for m in self.matches)
        super().__init__(
            screen,
            template,
            f"画像『{template}』が {len(self.matches)} か所で一致しました（倍率 "
            f"{self.matches[0].scale:.2f}）: {places}。どれを操作すべきか決められません",
        )


class LayoutDrift(ScreenChanged):
    """The live screen differs from its reference image outside the declared value regions.

    ``regions`` are in the reference image's pixels (at 100 %), so IT can look at the very
    place in the reference file.
    """

    def __init__(self, screen: str, regions: Sequence[Region], scale: float) -> None:
        self.regions = list(regions)
        self.scale = scale
        boxes = "、".join(str(r) for r in self.regions)
        super().__init__(
            screen,
            "layout",
            f"画面『{screen}』のレイアウトが基準画像と異なります（領域 {boxes}、倍率 {scale:.3f}）",
        )


class ScreenNotShown(TransientError):
    """A screen did not appear before its deadline; ``best_score`` is the closest seen."""

    def __init__(self, screen: str, template: str, timeout: float, best_score: float) -> None:
        self.screen = screen
        self.template = template
        self.timeout = timeout
        self.best_score = best_score
        super().__init__(
            f"画面『{screen}』が {timeout:.1f} 秒以内に表示されませんでした"
            f"（画像『{template}』の最高一致度 {best_score:.3f}）"
        )


class WindowNotFound(TransientError):
    """No window with this title is open on the display (the client is not running)."""

    def __init__(self, title: str) -> None:
        self.title = title
        super().__init__(f"基幹システムのウィンドウ『{title}』が見つかりません")


class FieldNotUpdated(TransientError):
    """A field did not show the typed value (or did not clear) before the deadline."""

    def __init__(self, field: str, what: str, timeout: float) -> None:
        self.field = field
        super().__init__(f"項目『{field}』が {timeout:.1f} 秒以内に{what}")


class ClipboardUnavailable(TransientError):
    """The clipboard did not take a text in time (xclip missing, the X server busy)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        super().__init__(f"クリップボードに {timeout:.1f} 秒以内に書き込めませんでした")
