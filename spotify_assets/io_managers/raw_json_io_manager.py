"""IO manager for ``raw_playlist``: one JSON object per playlist and day, exactly as the
extraction produced it, under ``<lake>/raw_playlist/dt=<date>/<playlist_id>.json``."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg
import orjson

from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import DEFAULT_RAW_MAX_BYTES, RawObject, raw_key, read_raw_objects
from spotify_assets.lake.write_check import permanent_lake_error_reason


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
    aws_region: str | None = None  # of an S3 lake (Settings.aws_region); None: botocore's chain
    aws_endpoint_url: str | None = None
    raw_max_bytes: int = DEFAULT_RAW_MAX_BYTES  # SPOTIFY_RAW_MAX_BYTES

    def _lake(self) -> Lake:
        return Lake(self.lake_url, region=self.aws_region, endpoint_url=self.aws_endpoint_url)

    def handle_output(self, context: dg.OutputContext, obj: Mapping[str, dict]) -> None:
        """Write each document; one that cannot be written does not stop the others.

        Raises ``dg.Failure`` naming the stored and the unstored playlists when any write
        failed: ``allow_retries=False`` when the lake cannot be written at all (permission
        denied, no such bucket, missing AWS credentials or region, read-only or full disk:
        the step's RetryPolicy would only fail again), retryable otherwise (S3 briefly
        unreachable).
        """
        if not context.has_asset_partitions or len(context.asset_partition_keys) != 1:
            raise dg.DagsterInvariantViolationError("raw_playlist is stored one daily partition per run")
        dt = context.asset_partition_key
        lake = self._lake()
        stored: list[str] = []
        failed: dict[str, tuple[str, bool]] = {}  # playlist id -> (reason, permanent)
        for playlist_id, document in obj.items():
            try:
                url = lake.write_bytes(raw_key(dt, playlist_id), orjson.dumps(document))
            except Exception as error:  # noqa: BLE001 - each failure is reported below
                permanent = permanent_lake_error_reason(error)
                failed[playlist_id] = (
                    permanent or f"{type(error).__name__}: {str(error)[:300]}",
                    permanent is not None,
                )
                context.log.error(f"raw_playlist: playlist {playlist_id} not stored: {failed[playlist_id][0]}")
                continue
            stored.append(playlist_id)
            context.log.info(f"raw_playlist: stored {url}")
        if failed:
            reasons = "; ".join(f"{pid}: {reason}" for pid, (reason, _) in failed.items())
            raise dg.Failure(
                description=(
                    f"raw_playlist {dt}: {len(failed)} of {len(obj)} playlists could not be written to the lake at "
                    f"SPOTIFY_LAKE_URL={lake.location} ({reasons}); stored: {', '.join(stored) or 'none'}"
                ),
                metadata={
                    "stored_playlists": dg.MetadataValue.json(stored),
                    "unstored_playlists": dg.MetadataValue.json(sorted(failed)),
                },
                allow_retries=not any(permanent for _, permanent in failed.values()),
            )

    def load_input(self, context: dg.InputContext) -> list[RawObject]:
        lake = self._lake()
        objects: list[RawObject] = []
        for dt in context.asset_partition_keys:
            objects.extend(read_raw_objects(lake, dt, self.raw_max_bytes))
        for obj in objects:
            if obj.unreadable:
                context.log.warning(f"raw_playlist: {lake.shown(obj.key)} not read: {obj.unreadable}")
        return objects
