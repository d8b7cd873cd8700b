"""Raw objects of one or more daily partitions → the four tables, each with a ``dt``
column (pure: no Dagster, no I/O). Bad objects are reported by key and reason and left
out; the good objects of the same partition are still turned into tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyarrow as pa

from spotify_assets.lake.layout import RawObject
from spotify_assets.spotify.raw_objects import RawObjectError, RawPlaylist, parse_raw_object
from spotify_assets.spotify.schemas import TABLE_SCHEMAS
from spotify_assets.spotify.tables import SKIP_REASONS, build_tables

DT = "dt"


@dataclass
class PartitionTables:
    """The result of :func:`build_partition_tables`.

    ``tables``: ``{"songs"|"albums"|"artists"|"playlist_entries": pa.Table}``, each in
    its schema of :data:`~spotify_assets.spotify.schemas.TABLE_SCHEMAS` plus a last
    ``dt`` string column (YYYY-MM-DD); ids are unique per ``dt``.
    ``bad_objects``: ``{key: reason}`` of raw objects that could not be read.
    ``skipped_items``: ``{reason: count}`` of items that are not songs (all partitions).
    ``objects_by_dt``: ``{dt: number of good raw objects}``, 0 for days without any.
    ``playlists``: ``[(dt, playlist_id, item count)]`` of every good object.
    """

    tables: dict[str, pa.Table]
    bad_objects: dict[str, str] = field(default_factory=dict)
    skipped_items: dict[str, int] = field(default_factory=dict)
    objects_by_dt: dict[str, int] = field(default_factory=dict)
    playlists: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def empty_partitions(self) -> list[str]:
        """Partition keys that had no readable raw object."""
        return [dt for dt, count in self.objects_by_dt.items() if count == 0]


def parse_objects(objects: Iterable[RawObject]) -> tuple[list[tuple[str, RawPlaylist]], dict[str, str]]:
    """``([(dt, RawPlaylist)], {bad key: reason})`` for raw objects."""
    good: list[tuple[str, RawPlaylist]] = []
    bad: dict[str, str] = {}
    for obj in objects:
        try:
            good.append((obj.dt, parse_raw_object(obj.body, obj.key)))
        except RawObjectError as error:
            bad[obj.key] = error.reason
    return good, bad


def build_partition_tables(objects: Iterable[RawObject], partition_keys: list[str]) -> PartitionTables:
    """Build the four tables for every key of ``partition_keys`` from ``objects``.

    Objects whose ``dt`` is not among ``partition_keys`` raise ``ValueError``. Days
    without objects contribute no rows (and show in ``objects_by_dt`` as 0).
    """
    good, bad = parse_objects(objects)
    by_dt: dict[str, list[RawPlaylist]] = {dt: [] for dt in partition_keys}
    for dt, playlist in good:
        if dt not in by_dt:
            raise ValueError(f"raw object {playlist.source_key} belongs to {dt}, outside the partitions {partition_keys[0]}...{partition_keys[-1]}")
        by_dt[dt].append(playlist)
    parts: dict[str, list[pa.Table]] = {name: [] for name in TABLE_SCHEMAS}
    skipped: Counter = Counter({reason: 0 for reason in SKIP_REASONS})
    for dt, playlists in by_dt.items():
        if not playlists:
            continue
        built = build_tables(playlists)
        skipped.update(built.skipped_items)
        for name, table in built.as_dict().items():
            parts[name].append(table.append_column(DT, pa.array([dt] * table.num_rows, pa.string())))
    tables = {name: _concat(parts[name], schema) for name, schema in TABLE_SCHEMAS.items()}
    return PartitionTables(
        tables=tables,
        bad_objects=bad,
        skipped_items=dict(skipped),
        objects_by_dt={dt: len(p) for dt, p in by_dt.items()},
        playlists=[(dt, p.playlist_id, len(p.items)) for dt, p in good],
    )


def _concat(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    full_schema = schema.append(pa.field(DT, pa.string()))
    if not tables:
        return full_schema.empty_table()
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]
