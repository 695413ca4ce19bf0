"""Where an application's evidence goes: folder names made from ids that cannot escape.

An application id comes from outside (the management system, a clerk's spreadsheet), so
it is never joined to a path as it is: ``../../x`` or ``/etc/passwd`` would put
screenshots outside the run folder. Import refuses such ids (:func:`is_plain_id`), but a
database filled by an older renkei may still hold them, so every path is built from
:func:`safe_path_part` and checked to stay inside its root (:func:`inside`).

Each try of each claim gets its own folder (:func:`try_dir`), so a retry never overwrites
the screenshots of the try before it: ``screenshots/<id>/attempt-<attempt id>-try-<n>/``.
The attempt id is the attempts table's row (the history ``renkei review show`` lists); the
try counts the retries of transient errors inside that claim.

Each screenshot carries where it comes from in its own PNG text chunks (:func:`stamp_png`):
run, application, screen, try and time, so a picture taken out of its folder still says
what it shows. File names stay as they are (``01_before_register.png``); people read the
Japanese captions (:func:`shot_caption`).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import png

from bots.errors import RenkeiError
from bots.results import try_label

#: The ids renkei accepts: ASCII letters, digits, ``-``, ``_`` and ``.`` (not leading),
#: at most 64 characters — the management system's ids, e.g. ``JT-2026-000001``.
PLAIN_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class EvidencePathError(RenkeiError):
    """A path built for evidence would leave its folder (a bug: ids are made safe first)."""


class EvidenceFileError(RenkeiError):
    """A screenshot the browser saved is not a readable PNG (its metadata cannot be added)."""


def is_plain_id(app_id: str) -> bool:
    """Whether ``app_id`` may be used as a folder name as it is."""
    return PLAIN_ID.fullmatch(app_id) is not None


def printable_id(app_id: str) -> str:
    """The id as a person can read it in a message: control characters (NUL …) escaped."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in app_id)


def safe_path_part(app_id: str) -> str:
    """A single folder name for ``app_id``: the id itself when it is plain, else its plain
    characters followed by ``~`` and a hash of the whole id.

    ``~`` never occurs in a plain id, so a made-safe id cannot collide with a real one, and
    the hash keeps two unsafe ids that differ only in their unsafe characters apart.
    """
    if is_plain_id(app_id):
        return app_id
    digest = hashlib.sha256(app_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    readable = _UNSAFE.sub("_", app_id).lstrip(".")[:40] or "id"
    return f"{readable}~{digest}"


def inside(root: Path, *parts: str) -> Path:
    """``root / parts``, resolved, or EvidencePathError when it is not inside ``root``."""
    base = root.resolve()
    path = base.joinpath(*parts).resolve()
    if not path.is_relative_to(base) or path == base:
        raise EvidencePathError(f"証跡の保存先が実行フォルダの外になります: {path}（{base} の外）")
    return path


def app_dir(screenshots_dir: Path, app_id: str) -> Path:
    """The evidence folder of one application in a run."""
    return inside(screenshots_dir, safe_path_part(app_id))


def try_dir(screenshots_dir: Path, app_id: str, attempt_id: int, try_no: int) -> Path:
    """The evidence folder of one try of one claim of an application."""
    return inside(screenshots_dir, safe_path_part(app_id), try_label(attempt_id, try_no))


@dataclass(frozen=True)
class PngText:
    """One PNG text entry: an ASCII keyword for programs, a Japanese one for people."""

    keyword: str
    translated: str
    text: str


def _itxt(entry: PngText) -> bytes:
    """An uncompressed iTXt chunk body (PNG 1.2 §11.3.4.5): UTF-8 text, language ``ja``."""
    return b"\0".join(
        [
            entry.keyword.encode("latin-1"),
            b"\0\0ja",  # compression flag 0, method 0, then the language tag
            entry.translated.encode("utf-8"),
            entry.text.encode("utf-8"),
        ]
    )


def stamp_png(path: Path, entries: Sequence[PngText]) -> None:
    """Add ``entries`` to the PNG at ``path`` as iTXt chunks right after its header.

    The image data is copied chunk by chunk, never decoded or re-encoded (pypng's chunk
    reader and writer): a screenshot costs well under a millisecond more, and its pixels
    stay exactly what the browser saved. Called before the file is hashed, so the
    SHA-256 in the audit chain covers the metadata too.
    """
    try:
        chunks = list(png.Reader(bytes=path.read_bytes()).chunks())
    except png.Error as exc:
        raise EvidenceFileError(f"画面記録を PNG として読めません: {path}（{exc}）") from exc
    if not chunks or chunks[0][0] != b"IHDR":
        raise EvidenceFileError(f"画面記録を PNG として読めません: {path}（IHDR がありません）")
    texts = [(b"iTXt", _itxt(e)) for e in entries]
    out = io.BytesIO()
    png.write_chunks(out, [chunks[0], *texts, *chunks[1:]])
    path.write_bytes(out.getvalue())
