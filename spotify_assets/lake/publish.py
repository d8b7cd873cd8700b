"""Publishing tables to the lake as one commit (the "publish" of write-audit-publish; no
Dagster here, so a plain process can run and be killed in the middle of it).

A *write* puts the files of one or more tables for one or more days in place. Its
protocol, with write id ``W`` (UTC time + random hex, so ids sort by time):

1. **recover**: finish every committed write still pending (step 4 on, "roll forward"),
   then delete what writes of the same days that never committed left behind (staging
   folders without a record, a hidden temporary record).
2. **stage**: every file at ``_publish/W/<table>__dt=<D>__data.parquet`` (one flat folder). ``_publish`` is
   outside every table's folder: no reader's glob, Glue crawler target or Athena table
   location sees it.
3. **commit**: the record ``_publish/W.json`` listing ``(staged key, final key, version)``
   of every file, written atomically. From here on the write is decided: whoever finds
   the record completes it.
4. **move** each staged file to ``<table>/dt=<D>/data.parquet`` (a rename on a folder; a
   server-side copy on S3, which has no rename).
5. **delete the staging folder, then the record**; locally also hidden ``.tmp-`` files
   an older, killed write left in the day folders.

Every file carries its day's **version** in its Parquet key-value metadata
(:data:`~spotify_assets.lake.parquet.VERSION_KEY`): a fingerprint of the contents of all
the tables published together for that day (16 hex digits of SHA-256). All the tables
of a day written by one write (the four of ``spotify_tables``) carry the same version, so any reader can tell a day that
mixes versions; and the same rows give the same bytes on a re-run.

The project's readers call :func:`recover_pending` before reading (the IO manager's
inputs, the trend history, the DuckDB catalog), which completes a commit interrupted
between steps 3 and 5; so they never see a mix. What a crash leaves for readers that
do not (Athena, a plain glob) is described in the README ("Storage").
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pyarrow as pa

from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import TABLE_FILE_NAME, dt_from_key, table_key
from spotify_assets.lake.parquet import file_version, parquet_bytes
from spotify_assets.vocabulary import PARTITION_COLUMN

STAGING_PREFIX = "_publish"
_TABLE_FILE = re.compile(rf"[a-z_]+/{PARTITION_COLUMN}=\d{{4}}-\d{{2}}-\d{{2}}/{re.escape(TABLE_FILE_NAME)}")
_RECORD_SUFFIX = ".json"
_TEMPORARY_MARK = ".tmp-"  # Lake.write_bytes' hidden temporary names: .<name>.tmp-<hex>

# on_step(step, key): called after each step of a write, in order: "recovered" (key: ""),
# "staged" (the final key), "committed" (the record's key), "moved" (the final key),
# "cleaned" (the staging folder), "record_deleted" (the record's key). A progress hook.
OnStep = Callable[[str, str], None]


class PublishError(RuntimeError):
    """A pending commit cannot be completed: the message names the record, the file and why."""


@dataclass(frozen=True)
class PublishedTable:
    """A table whose day files a step already published (the tables asset): the Parquet IO
    manager then writes nothing and only records the materialization metadata.

    ``lake_url``: the lake it was published to; ``table``: every row of the run with a
    ``dt`` string column; ``days``: ``{dt: that day's rows without dt}`` for each day
    published; ``versions``: ``{dt: version}``. Attributes and ``[...]`` it lacks are the
    table's.
    """

    lake_url: str
    table: pa.Table
    days: dict[str, pa.Table]
    versions: dict[str, str] = field(default_factory=dict)

    # Reads like the table it holds (``value["song_id"]``, ``value.num_rows``), so code
    # that looks at the asset's output values (tests, asset calls) sees the table.
    def __getattr__(self, name: str):
        if name.startswith("__") or name in ("lake_url", "table", "days", "versions"):
            raise AttributeError(name)
        return getattr(self.table, name)

    def __getitem__(self, key):
        return self.table[key]


def new_write_id() -> str:
    """``YYYYMMDDTHHMMSSffffffZ-<12 hex>``: UTC time first, so ids sort by time."""
    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:12]}"


def day_version(tables: Mapping[str, pa.Table]) -> str:
    """Fingerprint of one day's tables (``{table name: rows}``): 16 hex digits of the SHA-256
    of each table's name, schema and rows (Arrow IPC stream), by table name."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        sink = pa.BufferOutputStream()
        # A copy (take) in one chunk: a day sliced out of a range (offset buffers, a parent's
        # validity bitmap) and the same day built alone then give the same stream.
        table = tables[name].take(pa.array(range(tables[name].num_rows), pa.int64()))
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        digest.update(name.encode() + b"\0")
        digest.update(sink.getvalue())
    return digest.hexdigest()[:16]


def record_key(write_id: str) -> str:
    """``_publish/<write id>.json``"""
    return f"{STAGING_PREFIX}/{write_id}{_RECORD_SUFFIX}"


def publish(lake: Lake, days: Mapping[str, Mapping[str, pa.Table]], on_step: OnStep | None = None) -> dict[str, str]:
    """Put ``days`` (``{dt: {table name: rows without dt}}``) in place as one commit, at
    ``<table>/dt=<dt>/data.parquet``; returns ``{dt: version}``.

    A 0-row table is written as a 0-row file with its schema. Raises :class:`PublishError`
    when a pending commit found first cannot be completed, and the lake's errors
    (``OSError``, botocore's) as they come; a failure before the commit record is written
    leaves every final file as it was.
    """
    step = on_step or (lambda _step, _key: None)
    recover(lake, on_step=None, clean_days=set(days))
    step("recovered", "")
    write_id = new_write_id()
    files: list[dict[str, str]] = []
    versions: dict[str, str] = {}

    def staged_files():
        for dt, tables in days.items():
            versions[dt] = version = day_version(tables)
            for name, table in tables.items():
                final = table_key(name, dt)
                staged = f"{STAGING_PREFIX}/{write_id}/{final.replace('/', '__')}"
                files.append({"staged": staged, "final": final, "version": version})
                yield final, staged, parquet_bytes(table, version)

    def stage(item: tuple[str, str, bytes]) -> str:
        final, staged, data = item
        lake.write_staged_bytes(staged, data)
        return final

    for final in _each(lake, staged_files(), stage):
        step("staged", final)
    record = record_key(write_id)
    lake.write_bytes(record, json.dumps({"write_id": write_id, "files": files}).encode())
    step("committed", record)
    _complete(lake, write_id, files, step)
    if not lake.is_s3:
        _remove_temporary_files(lake, {f["final"].rsplit("/", 1)[0] for f in files})
    return versions


def recover(lake: Lake, on_step: OnStep | None = None, clean_days: Collection[str] = ()) -> list[str]:
    """Complete every committed write still pending, oldest first; returns their ids.

    ``clean_days``: also delete what writes that never committed left for any of these
    days (their staging folder and a hidden temporary commit record): what a writer of
    those days does first. Only the same days: a write of other days may be staging
    right now (runs of different days run at once), and a write of the same days at the
    same time is not supported anyway. Raises :class:`PublishError` for a record that
    cannot be read or completed.
    """
    step = on_step or (lambda _step, _key: None)
    names = lake.child_names(STAGING_PREFIX)
    pending = [n[: -len(_RECORD_SUFFIX)] for n in names if n.endswith(_RECORD_SUFFIX) and not n.startswith(".")]
    for write_id in pending:
        files = _read_record(lake, write_id)
        if files is not None:
            _complete(lake, write_id, files, step)
    if clean_days:
        _clean_uncommitted(lake, names, pending, clean_days)
    return pending


def _clean_uncommitted(lake: Lake, names: list[str], pending: list[str], clean_days: Collection[str]) -> None:
    """Delete the staging folders (and hidden temporary commit records) among ``names``, the
    entries of ``_publish/``, of writes that never committed and staged files of ``clean_days``."""
    for name in names:
        if name.startswith(".") or name.endswith(_RECORD_SUFFIX) or name in pending:
            continue
        staged = lake.child_names(f"{STAGING_PREFIX}/{name}")
        if any(_staged_day(n) in clean_days for n in staged):  # staged for one of our days, never committed
            lake.delete_folder(f"{STAGING_PREFIX}/{name}")
            for hidden in names:
                if hidden.startswith(f".{name}{_RECORD_SUFFIX}{_TEMPORARY_MARK}"):
                    lake.delete(f"{STAGING_PREFIX}/{hidden}")


def _staged_day(name: str) -> str | None:
    """The day of a staged file's name ``<table>__dt=<day>__data.parquet``."""
    match = re.search(rf"__{PARTITION_COLUMN}=(\d{{4}}-\d{{2}}-\d{{2}})__", name)
    return match.group(1) if match else None


def recover_pending(lake: Lake) -> list[str]:
    """What the project's readers call before reading tables: :func:`recover` without
    cleaning. One listing of ``_publish/`` when nothing is pending."""
    return recover(lake)


def _read_record(lake: Lake, write_id: str) -> list[dict[str, str]] | None:
    """The files of a commit record; None when it was deleted meanwhile (completed)."""
    key = record_key(write_id)
    try:
        data = lake.read_bytes(key)
    except FileNotFoundError:
        return None
    try:
        files = [
            {"staged": f["staged"], "final": f["final"], "version": f["version"]} for f in json.loads(data)["files"]
        ]
    except (ValueError, KeyError, TypeError) as error:
        raise PublishError(
            f"commit record {lake.url(key)} is unreadable ({error!r}): delete it and re-run the days it covers"
        ) from None
    for f in files:
        # Only this write's staged files, only onto table files: a record is never trusted to move anything else.
        if not (
            isinstance(f["staged"], str)
            and f["staged"].startswith(f"{STAGING_PREFIX}/{write_id}/")
            and _TABLE_FILE.fullmatch(str(f["final"]))
        ):
            raise PublishError(
                f"commit record {lake.url(key)} names {f['staged']!r} → {f['final']!r}, not a staged file of this write and a table file"
            )
    return files


def _complete(lake: Lake, write_id: str, files: list[dict[str, str]], step: OnStep) -> None:
    """Steps 4 and 5 of a committed write. Safe to repeat, and to run by two processes at
    once: a staged file already moved is recognised by the version of its final file."""
    record = record_key(write_id)

    def move(f: dict[str, str]) -> str | None:
        try:
            lake.move_into_place(f["staged"], f["final"])
        except FileNotFoundError:
            if not lake.exists(record):
                return None  # another process completed this write meanwhile
            found = _stored_version(lake, f["final"])
            if found != f["version"]:
                raise PublishError(
                    f"commit {lake.url(record)}: the staged file {f['staged']} is gone and {lake.url(f['final'])} holds "
                    f"version {found}, not {f['version']}; re-run day {dt_from_key(f['final'])} of every table"
                ) from None
        return f["final"]

    moved = list(_each(lake, iter(files), move, step=lambda final: step("moved", final) if final else None))
    if None in moved:
        return
    # The staging folder before the record: a staging folder without a record is then
    # always an uncommitted write's, and a record whose staged files are gone is
    # recognised as moved by the versions of the final files.
    lake.delete_folder(f"{STAGING_PREFIX}/{write_id}")
    step("cleaned", f"{STAGING_PREFIX}/{write_id}/")
    lake.delete(record)
    step("record_deleted", record)


# S3 requests of a write run this many at a time (each is a round trip; a year's range
# publishes 1,460 files). A local lake writes one file after the other.
S3_CONCURRENCY = 16


def _each(lake: Lake, items: Iterator, function: Callable, step: Callable | None = None) -> Iterator:
    """``function(item)`` for every item, results in completion order (``step(result)``
    called on each as it comes). Local: one after the other. S3: up to
    :data:`S3_CONCURRENCY` at once, at most twice that many items held in memory; the first
    exception is raised once the requests in flight have ended."""
    if not lake.is_s3:
        for item in items:
            result = function(item)
            if step:
                step(result)
            yield result
        return
    with ThreadPoolExecutor(max_workers=S3_CONCURRENCY) as pool:
        pending: set = set()
        for item in items:
            pending.add(pool.submit(function, item))
            if len(pending) >= 2 * S3_CONCURRENCY:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from _results(finished, step)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from _results(finished, step)


def _results(finished: set, step: Callable | None) -> Iterator:
    for future in finished:
        result = future.result()
        if step:
            step(result)
        yield result


def _stored_version(lake: Lake, key: str) -> str | None:
    try:
        return file_version(lake.read_bytes(key))
    except FileNotFoundError:
        return None


def _remove_temporary_files(lake: Lake, folders: set[str]) -> None:
    """Delete hidden ``.tmp-`` files a killed ``Lake.write_bytes`` left in ``folders``
    (local lakes only: an S3 write is a single PUT and leaves none)."""
    for folder in sorted(folders):
        for name in lake.child_names(folder):
            if name.startswith(".") and _TEMPORARY_MARK in name:
                lake.delete(f"{folder}/{name}")
