"""``sources.yaml``: where an installation's applications come from and where outcomes go.

A municipality wires renkei to its 申請管理システム by declaring, per source, how to read
resolved applications (an SQL table or query, or a drop folder of exported files) and how
to write each outcome back (an UPDATE through the same mapping, or outcome files). No
Python: IT staff write this file, ``renkei sources check`` reads it, and every problem is
reported with its place (``sources.yaml:14:5: unknown key 'colums' (did you mean
'columns'?)``), like recipes.

Credentials are never in the file: ``password_env`` names an environment variable,
``password_file`` a file readable by the service account only (see
:mod:`bots.sources.credentials`). A URL with a password in it is refused.

Shape (every key documented on the models below)::

    sources:
      shinsei:                          # the source's name (stored with each application)
        kind: sql
        url: postgresql+psycopg://renkei@db.example/shinsei
        password_env: SHINSEI_DB_PASSWORD
        every_minutes: 10               # the scheduler syncs it this often (0: on demand only)
        table: 申請                       # or query: SELECT … (read-only)
        where: {審査状態: 審査完了}         # equality filters on the table (bound parameters)
        columns:                        # renkei's fields → the source's columns
          id: 申請番号
          procedure: 手続コード
          atena_no: 宛名番号
          received_at: 受付日時
          version: 更新日時              # optional: a changed version is a correction
        procedures:                     # the source's procedure codes → recipes
          "A01": {recipe: jidou_teate_nintei, items: {applicant.name: 申請者氏名}}
          "K03": {recipe: kaigo_hihokenshashou, data: 申請内容}  # a JSON column is the form
        write_back:
          table: 申請
          key: 申請番号                   # WHERE 申請番号 = the application's id
          set: {連携状態: status, 受付番号: receipt_no, 連携日時: outcome_at, 連携結果: reason}
          statuses: {連携済: "9", 要確認: "8", 対象外: "7"}   # renkei's → the source's values
      export:
        kind: folder
        path: /srv/shinsei/export       # files appear here; taken ones go to done/ or rejected/
        pattern: "*.csv"
        encoding: auto                  # or utf-8, cp932
        settle_seconds: 5               # a file younger than this is left for the next sync
        columns: {id: 申請番号, procedure: 手続, atena_no: 宛名番号, received_at: 受付日時}
        procedures: {…}
        write_back:
          folder: /srv/shinsei/import   # one outcome file per delivery
          format: csv                   # csv (UTF-8 with BOM) | cp932 | xlsx
          columns: {申請番号: id, 連携状態: status, 受付番号: receipt_no, 連携日時: outcome_at}
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bots.errors import RecipeError, RecipeErrors
from bots.recipe.selector_schema import validate
from bots.recipe.yamlpos import LocDict, read_located

#: What an outcome row can carry, for ``write_back.set`` / ``write_back.columns``.
OUTCOME_FIELDS = ("id", "status", "receipt_no", "outcome_at", "reason")
#: What a ``query`` may start with (after comments and blanks): sources are read only.
_READ_ONLY = re.compile(r"\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(?:select|with)\b", re.I | re.S)
#: renkei's statuses that are written back.
WRITTEN_BACK = ("連携済", "要確認", "対象外")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Columns(_Strict):
    """Which of the source's columns holds each of renkei's fields."""

    id: str = Field(min_length=1)
    procedure: str = Field(min_length=1)
    atena_no: str = Field(min_length=1)
    received_at: str = Field(min_length=1)
    version: str | None = None  # a version number or updated-at column


class ItemSource(_Strict):
    """An item read from inside a JSON column: ``{column: 申請内容, path: applicant.kana}``."""

    column: str = Field(min_length=1)
    path: str = Field(min_length=1)


class ProcedureMapping(_Strict):
    """How one of the source's procedure codes becomes a renkei application.

    ``items`` maps item paths of the procedure's schema (``applicant.kana``,
    ``children.1.name``: 1-based list positions, as ``renkei import``) to a column, or to a
    place inside a JSON column. ``data`` names a JSON column holding the whole form in the
    schema's shape; ``items`` then add to it or override it.
    """

    recipe: str = Field(min_length=1)
    data: str | None = None
    items: dict[str, str | ItemSource] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _something(self) -> ProcedureMapping:
        if self.data is None and not self.items:
            raise ValueError("needs 'items' or 'data' (a JSON column with the whole form)")
        return self


class SqlWriteBack(_Strict):
    """An UPDATE of the source's table, one row per outcome, idempotent."""

    table: str = Field(min_length=1)
    key: str = Field(min_length=1)
    set: dict[str, str] = Field(min_length=1)  # the source's column → an outcome field
    statuses: dict[str, str] = Field(default_factory=dict)  # renkei's status → the source's

    @field_validator("set")
    @classmethod
    def _fields(cls, value: dict[str, str]) -> dict[str, str]:
        return _outcome_fields(value)

    @field_validator("statuses")
    @classmethod
    def _statuses(cls, value: dict[str, str]) -> dict[str, str]:
        return _statuses(value)


class FileWriteBack(_Strict):
    """An outcome file per delivery in a folder the 申請管理システム imports from."""

    folder: Path
    format: Literal["csv", "cp932", "xlsx"] = "csv"
    columns: dict[str, str] = Field(min_length=1)  # the file's column → an outcome field
    statuses: dict[str, str] = Field(default_factory=dict)

    @field_validator("columns")
    @classmethod
    def _fields(cls, value: dict[str, str]) -> dict[str, str]:
        return _outcome_fields(value)

    @field_validator("statuses")
    @classmethod
    def _statuses(cls, value: dict[str, str]) -> dict[str, str]:
        return _statuses(value)


class _Common(_Strict):
    every_minutes: int = Field(default=0, ge=0)
    columns: Columns
    procedures: dict[str, ProcedureMapping] = Field(min_length=1)


class SqlSource(_Common):
    """Resolved applications from a database: a table (with ``where``) or a ``query``."""

    kind: Literal["sql"]
    url: str = Field(min_length=1)
    password_env: str | None = None
    password_file: Path | None = None
    table: str | None = None
    where: dict[str, str | int] = Field(default_factory=dict)
    query: str | None = None
    write_back: SqlWriteBack | FileWriteBack | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"url is not an SQLAlchemy URL: {exc}") from None
        if url.password:
            raise ValueError("url must not hold a password: use password_env or password_file")
        return value

    @field_validator("query")
    @classmethod
    def _select_only(cls, value: str | None) -> str | None:
        if value is not None and not _READ_ONLY.match(value):
            raise ValueError("'query' must be a SELECT (or WITH … SELECT): sources are only read")
        return value

    @model_validator(mode="after")
    def _one_of(self) -> SqlSource:
        if (self.table is None) == (self.query is None):
            raise ValueError("needs exactly one of 'table' and 'query'")
        if self.query is not None and self.where:
            raise ValueError("'where' goes with 'table'; put the condition in the query")
        if self.password_env and self.password_file:
            raise ValueError("give password_env or password_file, not both")
        return self


class FolderSource(_Common):
    """Exported files (CSV / Excel / JSON) dropped into a folder, each taken exactly once."""

    kind: Literal["folder"]
    path: Path
    pattern: str = "*"
    encoding: Literal["auto", "utf-8", "cp932"] = "auto"
    # a file modified less than this many seconds ago may still be being written: it is
    # left for the next sync (so is a file whose size changes while it is read)
    settle_seconds: float = Field(default=5, ge=0)
    write_back: FileWriteBack | None = None


Source = Annotated[SqlSource | FolderSource, Field(discriminator="kind")]


class SourcesFile(_Strict):
    sources: dict[str, Source] = Field(min_length=1)


def _outcome_fields(value: dict[str, str]) -> dict[str, str]:
    wrong = sorted(v for v in value.values() if v not in OUTCOME_FIELDS)
    if wrong:
        raise ValueError(f"unknown outcome field {wrong[0]!r} (one of {', '.join(OUTCOME_FIELDS)})")
    return value


def _statuses(value: dict[str, str]) -> dict[str, str]:
    wrong = sorted(k for k in value if k not in WRITTEN_BACK)
    if wrong:
        raise ValueError(f"unknown status {wrong[0]!r} (one of {', '.join(WRITTEN_BACK)})")
    return value


def load_sources(
    path: Path, display_name: str | None = None
) -> dict[str, SqlSource | FolderSource]:
    """Every source of ``path`` by name, or :class:`~bots.errors.RecipeErrors` with every
    problem located (a folder source's relative paths are taken from the file's folder)."""
    doc, problems = read_located(path, display_name)
    if problems:
        raise RecipeErrors(problems)
    if not isinstance(doc, LocDict):
        raise RecipeError("a sources file is a mapping with 'sources:'", getattr(doc, "pos", None))
    model, problems = validate(SourcesFile, doc, doc.pos, "key")
    if problems:
        raise RecipeErrors(problems)
    return {name: _anchored(source, path.parent) for name, source in model.sources.items()}


def _anchored(source: Any, base: Path) -> Any:
    """Relative folders in the file are relative to the file, not to the working folder."""
    updates: dict[str, Any] = {}
    if isinstance(source, FolderSource) and not source.path.is_absolute():
        updates["path"] = base / source.path
    back = source.write_back
    if isinstance(back, FileWriteBack) and not back.folder.is_absolute():
        updates["write_back"] = back.model_copy(update={"folder": base / back.folder})
    return source.model_copy(update=updates) if updates else source
