"""IO manager for ``raw_playlist``: one JSON object per playlist and day, exactly as the
extraction produced it, under ``<lake>/raw_playlist/dt=<date>/<playlist_id>.json``."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg
import orjson

from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import RawObject, raw_key, read_raw_objects


class RawJsonIOManager(dg.ConfigurableIOManager):
    """Stores and loads raw playlist objects.

    Output: ``{playlist_id: raw document (dict)}`` for one partition; each document is
    written atomically as JSON at ``raw_playlist/dt=<partition>/<playlist_id>.json``.
    Objects of the partition that the output does not name (landed by another producer)
    are left as they are: raw objects are never modified, moved or deleted here. An empty
    mapping writes nothing (the asset recorded objects that were already there).

    Input: every raw object of the requested partitions, as ``list[RawObject]`` (date,
    key, exact bytes), sorted by date then key; partitions without objects add nothing.
    Parsing is left to the consumer so that one bad object can be reported by key
    without blocking the others. Entries that are not read (symbolic links, FIFOs,
    devices, sockets, unsafe or non-UTF-8 keys, objects above ``SPOTIFY_RAW_MAX_BYTES``)
    come as ``RawObject``s with ``unreadable`` set and an empty body, each logged as a
    warning; the consumer reports them as bad objects.
    """

    lake_url: str

    def handle_output(self, context: dg.OutputContext, obj: Mapping[str, dict]) -> None:
        if not context.has_asset_partitions or len(context.asset_partition_keys) != 1:
            raise dg.DagsterInvariantViolationError("raw_playlist is stored one daily partition per run")
        dt = context.asset_partition_key
        lake = Lake(self.lake_url)
        for playlist_id, document in obj.items():
            key = raw_key(dt, playlist_id)
            url = lake.write_bytes(key, orjson.dumps(document))
            context.log.info(f"raw_playlist: stored {url}")

    def load_input(self, context: dg.InputContext) -> list[RawObject]:
        lake = Lake(self.lake_url)
        objects: list[RawObject] = []
        for dt in context.asset_partition_keys:
            objects.extend(read_raw_objects(lake, dt))
        for obj in objects:
            if obj.unreadable:
                context.log.warning(f"raw_playlist: {lake.shown(obj.key)} not read: {obj.unreadable}")
        return objects
