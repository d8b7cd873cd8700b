"""IO manager for ``raw_playlist``: one JSON object per playlist and day, exactly as the
extraction produced it, under ``<lake>/raw_playlist/dt=<date>/<playlist_id>.json``."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg
import orjson

from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import DEFAULT_RAW_MAX_BYTES, RawObject, prefix_url, raw_key, read_raw_days
from spotify_assets.lake.write_check import permanent_lake_error_reason
from spotify_assets.vocabulary import RAW_PREFIX


class RawJsonIOManager(dg.ConfigurableIOManager):
    """Stores and loads raw playlist objects.

    Output: ``{dt: {playlist_id: raw document (dict)}}`` for the run's partitions (one,
    or a range: the asset's backfill policy is single-run); each document is written
    atomically as JSON at ``raw_playlist/dt=<dt>/<playlist_id>.json``.
    Objects of the partition that the output does not name (landed by another producer)
    are left as they are: raw objects are never modified, moved or deleted here. A day
    with an empty mapping writes nothing (the asset recorded objects that were already there).

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

    def handle_output(self, context: dg.OutputContext, obj: Mapping[str, Mapping[str, dict]]) -> None:
        """Write each document of ``obj`` (``{dt: {playlist_id: raw document}}``, each dt a
        partition of the run); one that cannot be written does not stop the others.

        Raises ``dg.Failure`` naming the stored and the unstored objects when any write
        failed: ``allow_retries=False`` when the lake cannot be written at all (permission
        denied, no such bucket, missing AWS credentials or region, read-only or full disk:
        the step's RetryPolicy would only fail again), retryable otherwise (S3 briefly
        unreachable). Raises ``DagsterInvariantViolationError`` for a dt outside the run.
        """
        outside = sorted(set(obj) - set(context.asset_partition_keys if context.has_asset_partitions else []))
        if outside:
            raise dg.DagsterInvariantViolationError(f"raw_playlist output for days outside the run: {outside}")
        lake = self._lake()
        # Objects are named by playlist id in a one-day run, by dt/playlist id in a range.
        name = (
            (lambda dt, playlist_id: playlist_id) if len(obj) == 1 else (lambda dt, playlist_id: f"{dt}/{playlist_id}")
        )
        stored: list[str] = []
        failed: dict[str, tuple[str, bool]] = {}  # name -> (reason, permanent)
        for dt, documents in obj.items():
            for playlist_id, document in documents.items():
                try:
                    url = lake.write_bytes(raw_key(dt, playlist_id), orjson.dumps(document))
                except Exception as error:  # noqa: BLE001 - each failure is reported below
                    permanent = permanent_lake_error_reason(error)
                    reason = permanent or f"{type(error).__name__}: {str(error)[:300]}"
                    failed[name(dt, playlist_id)] = (reason, permanent is not None)
                    context.log.error(f"raw_playlist: playlist {playlist_id} of {dt} not stored: {reason}")
                    continue
                stored.append(name(dt, playlist_id))
                if len(obj) == 1:  # a range gets one line for the run, below
                    context.log.info(f"raw_playlist: stored {url}")
        if len(obj) > 1:
            context.log.info(
                f"raw_playlist: stored {len(stored)} raw object(s) of {len(obj)} days under {prefix_url(lake, RAW_PREFIX)}"
            )
        if failed:
            raise _write_failure(lake, "...".join(dict.fromkeys([min(obj), max(obj)])), stored, failed)

    def load_input(self, context: dg.InputContext) -> list[RawObject]:
        lake = self._lake()
        by_day = read_raw_days(lake, context.asset_partition_keys, self.raw_max_bytes)
        objects = [o for day in by_day.values() for o in day]
        for obj in objects:
            if obj.unreadable:
                context.log.warning(f"raw_playlist: {lake.shown(obj.key)} not read: {obj.unreadable}")
        return objects


def _write_failure(lake: Lake, days: str, stored: list[str], failed: dict[str, tuple[str, bool]]) -> dg.Failure:
    """The failure naming the playlists (``dt/playlist_id`` in a range) stored and not stored, and why."""
    reasons = "; ".join(f"{name}: {reason}" for name, (reason, _) in failed.items())
    return dg.Failure(
        description=(
            f"raw_playlist {days}: {len(failed)} of {len(failed) + len(stored)} playlists could not be written to the "
            f"lake at SPOTIFY_LAKE_URL={lake.location} ({reasons}); stored: {', '.join(stored) or 'none'}"
        ),
        metadata={
            "stored_playlists": dg.MetadataValue.json(stored),
            "unstored_playlists": dg.MetadataValue.json(sorted(failed)),
        },
        allow_retries=not any(permanent for _, permanent in failed.values()),
    )
