"""Raw objects of one or more daily partitions → the four tables, each with a ``dt``
column (pure: no Dagster, no I/O). Bad objects are reported by key and reason and left
out; the good objects of the same partition are still turned into tables. Items with an
invalid field are left out and listed by key and position; of several raw objects of one
playlist on one day, one snapshot is kept and the others are listed as superseded."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import NamedTuple

import pyarrow as pa

from spotify_assets.lake.layout import RawObject
from spotify_assets.spotify.daily_tables import SKIP_REASONS, build_tables
from spotify_assets.spotify.field_checks import parse_timestamp
from spotify_assets.spotify.raw_parsing import InvalidItem, RawObjectError, RawPlaylist, parse_raw_object
from spotify_assets.spotify.schemas import TABLE_SCHEMAS
from spotify_assets.vocabulary import PARTITION_COLUMN

_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


class Superseded(NamedTuple):
    """A raw object left out because another object of the same playlist and day was
    kept: ``by`` is the kept object's key, ``reason`` says why it won, e.g.
    ``extracted_at 2024-05-15T06:00:00+00:00 is later than 2024-05-15T05:00:00+00:00``."""

    by: str
    reason: str


@dataclass
class PartitionTables:
    """The result of :func:`build_partition_tables`.

    ``tables``: ``{"songs"|"albums"|"artists"|"playlist_entries": pa.Table}``, each in
    its schema of :data:`~spotify_assets.spotify.schemas.TABLE_SCHEMAS` plus a last
    ``dt`` string column (YYYY-MM-DD); ids are unique per ``dt``.
    ``bad_objects``: ``{key: reason}`` of raw objects that could not be read.
    ``skipped_items``: ``{reason: count}`` of items that gave no rows (all partitions):
    every ``SKIP_REASONS`` (null_item, local_file, episode, not_a_track), plus
    ``invalid:<field>`` for items with an invalid field (present only when counted).
    ``invalid_items``: ``{key: [InvalidItem(position, reason, detail)]}`` of those items
    (1-based positions; keys without any are absent), e.g. ``InvalidItem(12,
    "invalid:explicit", "'explicit' is a string 'true', expected a boolean")``.
    ``invalid_lookups``: ``{key: [InvalidItem(index, reason, detail)]}`` of look-up
    objects left out (their columns stay null).
    ``superseded``: ``{key: Superseded(by, reason)}`` of good raw objects left out because
    another object of the same playlist and day was kept (not an error).
    ``objects_by_dt``: ``{dt: number of raw objects used}``, 0 for days without any.
    ``playlists``: ``[(dt, playlist_id, item count)]`` of every object used.
    """

    tables: dict[str, pa.Table]
    bad_objects: dict[str, str] = field(default_factory=dict)
    skipped_items: dict[str, int] = field(default_factory=dict)
    objects_by_dt: dict[str, int] = field(default_factory=dict)
    playlists: list[tuple[str, str, int]] = field(default_factory=list)
    invalid_items: dict[str, list[InvalidItem]] = field(default_factory=dict)
    invalid_lookups: dict[str, list[InvalidItem]] = field(default_factory=dict)
    superseded: dict[str, Superseded] = field(default_factory=dict)

    @property
    def empty_partitions(self) -> list[str]:
        """Partition keys that had no readable raw object."""
        return [dt for dt, count in self.objects_by_dt.items() if count == 0]


def parse_objects(objects: Iterable[RawObject]) -> tuple[list[tuple[str, RawPlaylist]], dict[str, str]]:
    """``([(dt, RawPlaylist)], {bad key: reason})`` for raw objects."""
    good: list[tuple[str, RawPlaylist]] = []
    bad: dict[int, tuple[str, str]] = {}
    for index, obj in enumerate(objects):
        playlist = _parse(index, obj, bad)
        if playlist is not None:
            good.append((obj.dt, playlist))
    return good, dict(bad.values())


def build_partition_tables(objects: Iterable[RawObject], partition_keys: list[str]) -> PartitionTables:
    """Build the four tables for every key of ``partition_keys`` from ``objects``.

    Objects whose ``dt`` is not among ``partition_keys`` raise ``ValueError``. Days
    without objects contribute no rows (and show in ``objects_by_dt`` as 0). Rows come
    in ``partition_keys`` order, and within a day in the order of ``objects``.

    One snapshot per playlist and day: of several readable objects of one playlist id on
    one day, the one with the latest ``extracted_at`` is kept (else the greatest
    ``snapshot_id``, else the latest ``RawObject.last_modified``, else the last key);
    the others are listed in ``superseded``. An object of the kept one's snapshot whose
    positions do not overlap the kept ones (another page of it) is kept too.

    Objects are parsed and turned into rows one day at a time, so only one day's parsed
    JSON is alive at once: building a year (365 days x 3 playlists of 50 items) peaked at
    866 MiB when every object was parsed first, 401 MiB this way.
    """
    by_dt: dict[str, list[tuple[int, RawObject]]] = {dt: [] for dt in partition_keys}
    pending: list[tuple[int, RawObject]] = []  # objects of days outside the keys (an error unless unreadable)
    for index, obj in enumerate(objects):
        (by_dt[obj.dt] if obj.dt in by_dt else pending).append((index, obj))
    bad: dict[int, tuple[str, str]] = {}  # input index -> (key, reason), to report in input order
    playlists: dict[int, tuple[str, str, int]] = {}
    for index, obj in pending:
        # Read first, as before: an unreadable object is reported, a readable one is out of range.
        playlist = _parse(index, obj, bad)
        if playlist is not None:
            raise ValueError(
                f"raw object {playlist.source_key} belongs to {obj.dt}, outside the partitions {partition_keys[0]}...{partition_keys[-1]}"
            )
    parts: dict[str, list[pa.Table]] = {name: [] for name in TABLE_SCHEMAS}
    skipped: Counter = Counter({reason: 0 for reason in SKIP_REASONS})
    objects_by_dt: dict[str, int] = {}
    invalid_items: dict[str, list[InvalidItem]] = {}
    invalid_lookups: dict[str, list[InvalidItem]] = {}
    superseded: dict[str, Superseded] = {}
    for dt, day_objects in by_dt.items():
        day = _read_day(dt, day_objects, bad, superseded, playlists)
        objects_by_dt[dt] = len(day)
        if not day:
            continue
        built = build_tables(day)
        del day  # the parsed JSON of the day; the tables hold what is needed
        skipped.update(built.skipped_items)
        invalid_items.update(built.invalid_items)
        invalid_lookups.update(built.invalid_lookups)
        for name, table in built.as_dict().items():
            parts[name].append(table.append_column(PARTITION_COLUMN, pa.array([dt] * table.num_rows, pa.string())))
    tables = {name: _concat(parts[name], schema) for name, schema in TABLE_SCHEMAS.items()}
    return PartitionTables(
        tables=tables,
        bad_objects={key: reason for _, (key, reason) in sorted(bad.items())},
        skipped_items=dict(skipped),
        objects_by_dt=objects_by_dt,
        playlists=[playlists[index] for index in sorted(playlists)],
        invalid_items=invalid_items,
        invalid_lookups=invalid_lookups,
        superseded=superseded,
    )


_Read = tuple[int, RawObject, RawPlaylist]  # (input index, object, as read)


def _read_day(
    dt: str,
    day_objects: list[tuple[int, RawObject]],
    bad: dict[int, tuple[str, str]],
    superseded: dict[str, Superseded],
    playlists: dict[int, tuple[str, str, int]],
) -> list[RawPlaylist]:
    """The RawPlaylists of one day to build from: each object read (unreadable ones
    recorded in ``bad``), one snapshot per playlist kept (the others recorded in
    ``superseded``), and each kept one recorded in ``playlists`` by input index."""
    read: list[_Read] = []
    for index, obj in day_objects:
        playlist = _parse(index, obj, bad)
        if playlist is not None:
            read.append((index, obj, playlist))
    kept = _one_snapshot_per_playlist(read, superseded)
    for index, _, playlist in kept:
        playlists[index] = (dt, playlist.playlist_id, len(playlist.items))
    return [playlist for _, _, playlist in kept]


def _one_snapshot_per_playlist(read: list[_Read], superseded: dict[str, Superseded]) -> list[_Read]:
    """The objects of one day to build from: per playlist id, the best-ranked object
    (``_rank``) plus any other page of the same snapshot (``_another_page``); the rest are
    recorded in ``superseded``. Input order is kept."""
    by_playlist: dict[str, list[_Read]] = {}
    for entry in read:
        by_playlist.setdefault(entry[2].playlist_id, []).append(entry)
    for entries in by_playlist.values():
        if len(entries) < 2:
            continue
        ranked = sorted(entries, key=_rank, reverse=True)
        kept = [ranked[0][2]]
        for _, obj, playlist in ranked[1:]:
            if _another_page(playlist, kept):
                kept.append(playlist)
            else:
                superseded[obj.key] = Superseded(ranked[0][1].key, _why(ranked[0], (0, obj, playlist)))
    return [entry for entry in read if entry[1].key not in superseded]


def _rank(entry: _Read) -> tuple:
    """Sort key: extracted_at, then snapshot_id, then the object's time, then the key
    (a value beats no value at each step)."""
    _, obj, playlist = entry
    extracted = _extracted(playlist)
    modified = _utc(obj.last_modified)
    return (
        extracted is not None,
        extracted or _EARLIEST,
        playlist.snapshot_id is not None,
        playlist.snapshot_id or "",
        modified is not None,
        modified or _EARLIEST,
        obj.key,
    )


def _why(winner: _Read, loser: _Read) -> str:
    """Why ``winner`` ranks above ``loser`` (``_rank``), in words."""
    (_, won_obj, won), (_, lost_obj, lost) = winner, loser
    won_at, lost_at = _extracted(won), _extracted(lost)
    if won_at != lost_at:
        if lost_at is None:
            return f"it has extracted_at {won.extracted_at}; this object has none"
        return f"extracted_at {won.extracted_at} is later than {lost.extracted_at}"
    if won.snapshot_id != lost.snapshot_id:
        if lost.snapshot_id is None:
            return f"same extracted_at; it has snapshot_id {won.snapshot_id!r}, this object none"
        return f"same extracted_at; snapshot_id {won.snapshot_id!r} sorts after {lost.snapshot_id!r}"
    won_time, lost_time = _utc(won_obj.last_modified), _utc(lost_obj.last_modified)
    if won_time != lost_time:
        if lost_time is None:
            return f"same extracted_at and snapshot_id; it was stored at {won_time.isoformat()}, this object's time is unknown"
        return f"same extracted_at and snapshot_id; stored later ({won_time.isoformat()} after {lost_time.isoformat()})"
    return "same extracted_at, snapshot_id and time: the last key in order is kept"


def _another_page(playlist: RawPlaylist, kept: list[RawPlaylist]) -> bool:
    """True when ``playlist`` is another page of the kept snapshot: same snapshot_id and
    extracted_at, items, and positions that overlap none of the kept objects'."""
    first = kept[0]
    if not playlist.items or (playlist.snapshot_id, playlist.extracted_at) != (first.snapshot_id, first.extracted_at):
        return False
    start, end = playlist.first_position, playlist.first_position + len(playlist.items)
    return all(
        not other.items or end <= other.first_position or other.first_position + len(other.items) <= start
        for other in kept
    )


def _extracted(playlist: RawPlaylist) -> datetime | None:
    """``extracted_at`` as a UTC datetime (checked when the object was read), None when absent."""
    return parse_timestamp(playlist.extracted_at) if playlist.extracted_at is not None else None


def _utc(moment: datetime | None) -> datetime | None:
    """An aware datetime (naive read as UTC), None stays None."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def _parse(index: int, obj: RawObject, bad: dict[int, tuple[str, str]]) -> RawPlaylist | None:
    """The object read for building tables, or None after recording it in ``bad`` as
    ``{input index: (key, reason)}``; an object listed but not read (``unreadable``) is
    recorded with its reason."""
    if obj.unreadable:
        bad[index] = (obj.key, obj.unreadable)
        return None
    try:
        return parse_raw_object(obj.body, obj.key, all_fields=False)
    except RawObjectError as error:
        bad[index] = (obj.key, error.reason)
        return None


def _concat(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    full_schema = schema.append(pa.field(PARTITION_COLUMN, pa.string()))
    if not tables:
        return full_schema.empty_table()
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]
