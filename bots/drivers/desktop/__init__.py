"""The desktop driver's primitives: seeing, finding and typing on pixels, with no DOM.

Thick clients (a vendor's Windows application, a terminal emulator) offer only pixels and
keys. These modules are the parts a desktop ``Driver`` is built from; none of them but
the driver and its host knows the contracts, and none knows recipes or the engine.
docs/desktop.md is how IT adapts it to a vendor's client.

========================  ==============================================================
:mod:`.geometry`          :class:`~.geometry.Region` — boxes in screen / reference pixels
:mod:`.screen`            captures of the screen or a window; a window found by its title
:mod:`.matching`          multi-scale template matching (90–160 %), per-window scale cache,
                          a threshold per template, ambiguity and not-found as errors
:mod:`.locator`           a field placed from its label: anchor template + offset at 100 %
:mod:`.waiting`           polling with a deadline; waiting for a screen's marker
:mod:`.drift`             the layout compared with the screen's reference image
:mod:`.clipboard`         the clipboard borrowed and given back
:mod:`.hands`             mouse and keys; typing a value and seeing it; reading it by copy
:mod:`.ocr`               reading codes and Japanese text by Tesseract, with confidence
:mod:`.evidence`          screenshots with sensitive boxes black before they are written
:mod:`.errors`            what goes wrong, as kinds of :mod:`bots.errors` errors
:mod:`.windows`           the client's windows by title: which screen and pop-up show
:mod:`.eyes`              a selector file's elements found, placed and read on screen
:mod:`.driver`            :class:`~.driver.DesktopDriver`, the ``Driver`` of ``kind: desktop``
:mod:`.host`              :class:`~.host.DesktopHost`: the display, and the client if started
========================  ==============================================================

Everything is measured in the tests (``tests/test_desktop_vision.py``,
``tests/test_desktop_input.py``) on a real Xvfb display with a Tk form drawn at 100, 110,
125, 140 and 150 %.
"""
