"""The お知らせ modal: markup and its injection into an HTML page of any charset.

Real core systems open a notice on top of the screen (年末年始の窓口業務, 定期保守 …) that
must be closed before any work: the overlay covers the whole page, so a click on a field
underneath lands on the overlay instead. 閉じる removes it with inline JavaScript only, so
it works the same in a frame of the legacy 介護 screens and in the 母子保健 single-page shell.
Every text here is JIS X 0208, so it can be written into a Shift_JIS page as it is.
"""

from __future__ import annotations

import codecs
import html
import re

# (subject, body); one is picked per injected page.
NOTICES: tuple[tuple[str, str], ...] = (
    (
        "年末年始の窓口業務について",
        "12月29日から1月3日までは窓口業務を休止します。"
        "期間中に受け付けた電子申請は、1月4日以降に順次処理してください。",
    ),
    (
        "システム定期保守のお知らせ",
        "毎月第3日曜日の8時から17時までは、システム定期保守のため全業務をご利用いただけません。"
        "保守日の前日は18時までに登録を終えてください。",
    ),
    (
        "個人番号の取扱いについて",
        "個人番号が表示された画面を印刷・撮影しないでください。"
        "離席するときは必ずログアウトしてください。",
    ),
)

OVERLAY_STYLE = (
    "position:fixed;inset:0;z-index:9999;top:0;right:0;bottom:0;left:0;margin:0;"
    "background:rgba(0,0,0,0.45);display:flex;align-items:center;justify-content:center"
)
MODAL_STYLE = (
    "background:#fff;color:#000;border:2px solid #1f4e79;padding:16px 24px;max-width:34em;"
    "font-size:14px;text-align:left;box-shadow:0 4px 16px rgba(0,0,0,0.4)"
)
CLOSE_JS = "var o=document.getElementById('notice_overlay');if(o&&o.parentNode){o.parentNode.removeChild(o);}"

# Charsets in which ASCII bytes always stand for ASCII characters: "</body>" can be found
# and the modal spliced in as bytes, leaving every other byte of the page untouched.
_ASCII_SAFE = frozenset({"utf_8", "cp932", "shift_jis", "euc_jp", "ascii", "iso8859_1", "cp1252"})
# What browsers really decode a page labelled Shift_JIS with.
_CP932_NAMES = frozenset({"shift_jis", "sjis", "x_sjis", "windows_31j", "ms_kanji", "cp932"})
_BODY_END = b"</body>"
_FRAMESET_RE = re.compile(rb"<frameset[\s>]", re.I)


def notice_html(index: int) -> str:
    """The overlay with notice number ``index`` (modulo the number of notices)."""
    subject, body = NOTICES[index % len(NOTICES)]
    return (
        f'<div id="notice_overlay" style="{OVERLAY_STYLE}">'
        f'<div id="notice_modal" role="dialog" aria-modal="true" aria-labelledby="notice_title"'
        f' style="{MODAL_STYLE}">'
        '<h2 id="notice_title" style="margin:0 0 8px;font-size:16px">お知らせ</h2>'
        f'<p id="notice_body" style="margin:0 0 12px;line-height:1.6">'
        f'<strong id="notice_subject">{html.escape(subject)}</strong><br>{html.escape(body)}</p>'
        '<p style="margin:0;text-align:center">'
        f'<button type="button" id="notice_close" onclick="{CLOSE_JS}">閉じる</button></p>'
        "</div></div>\n"
    )


def _codec(charset: str) -> str | None:
    """Python's codec name for a response charset (Shift_JIS → cp932), or None if unknown."""
    label = charset.strip().strip('"').lower().replace("-", "_")
    if label in _CP932_NAMES:
        return "cp932"
    try:
        name = codecs.lookup(label).name.replace("-", "_")
    except LookupError:
        return None
    return "cp932" if name in _CP932_NAMES else name


def inject_notice(body: bytes, charset: str, modal: str) -> bytes | None:
    """``body`` with ``modal`` inserted before its last ``</body>``, in the page's charset.

    None when there is nothing to inject into: no ``</body>`` (e.g. a frameset document:
    its frames get their own modal), an unknown charset, or bytes that do not decode. For
    charsets where ASCII is ASCII (UTF-8, Shift_JIS, EUC-JP) the modal is encoded and
    spliced in as bytes; otherwise the page is decoded, injected and re-encoded.
    """
    codec = _codec(charset)
    if codec is None or _FRAMESET_RE.search(body):
        return None
    if codec in _ASCII_SAFE:
        at = body.lower().rfind(_BODY_END)
        if at < 0:
            return None
        try:
            body.decode(codec)  # only inject into a page the browser can read
        except UnicodeDecodeError:
            return None
        return body[:at] + modal.encode(codec, errors="xmlcharrefreplace") + body[at:]
    try:
        text = body.decode(codec)
    except UnicodeDecodeError:
        return None
    at = text.lower().rfind("</body>")
    if at < 0:
        return None
    return (text[:at] + modal + text[at:]).encode(codec, errors="xmlcharrefreplace")
