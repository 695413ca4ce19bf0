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
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from bots.errors import RenkeiError

#: The ids renkei accepts: ASCII letters, digits, ``-``, ``_`` and ``.`` (not leading),
#: at most 64 characters — the management system's ids, e.g. ``JT-2026-000001``.
PLAIN_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class EvidencePathError(RenkeiError):
    """A path built for evidence would leave its folder (a bug: ids are made safe first)."""


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


def try_label(attempt_id: int, try_no: int) -> str:
    """The folder of one try: ``attempt-0012-try-2`` (sorts in order in a file browser)."""
    return f"attempt-{attempt_id:04d}-try-{try_no}"


def try_caption(label: str) -> str:
    """What the report shows for a try folder: ``試行 12・2回目`` for ``attempt-0012-try-2``."""
    match = re.fullmatch(r"attempt-(\d+)-try-(\d+)", label)
    return f"試行 {int(match[1])}・{match[2]}回目" if match else label


def app_dir(screenshots_dir: Path, app_id: str) -> Path:
    """The evidence folder of one application in a run."""
    return inside(screenshots_dir, safe_path_part(app_id))


def try_dir(screenshots_dir: Path, app_id: str, attempt_id: int, try_no: int) -> Path:
    """The evidence folder of one try of one claim of an application."""
    return inside(screenshots_dir, safe_path_part(app_id), try_label(attempt_id, try_no))
