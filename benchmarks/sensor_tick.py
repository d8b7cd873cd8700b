"""(c) Ticks of ``raw_playlist_sensor`` with many raw objects already on S3 and one new.

A moto server runs as a separate process on 127.0.0.1 (so its work does not share the
GIL or the measured CPU time with the tick). ``objects`` raw objects are PUT into
``s3://<bucket>/lake/raw_playlist/dt=<day>/<id>.json`` in parallel (30 a day). Then, for
each setting of ``SPOTIFY_SENSOR_SWEEP_KEYS`` measured (the default 1,000: a tick lists the
last 3 days' folders and the next 1,000 keys of a rolling sweep; 0: the whole zone every
tick), the real sensor is evaluated with ``build_sensor_context`` and an ephemeral
instance:

1. catch-up: ticks from no cursor until the first sweep is complete; every partition
   must be requested exactly once;
2. ``ticks`` measured ticks, each after one new PUT, alternately into today's folder and
   into an old day's folder, each with the previous tick's cursor; then quiet ticks
   until every new object was requested. Each new object must be requested exactly once;
   how many ticks it took is reported (1 = the tick right after the PUT).
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import orjson

from spotify_assets_tests.support.ports import free_port

BUCKET = "spotify-bench-lake"
REGION = "us-east-1"


@contextmanager
def moto_server():
    """A ``moto_server`` process on a free port; yields its endpoint URL and stops it."""
    import requests

    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{endpoint}/moto-api/", timeout=1)
                break
            except requests.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _aws_env(endpoint: str) -> None:
    # Process-wide on purpose: boto3 and s3fs (inside Lake) both read them.
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
    )
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        os.environ.pop(name, None)


def measure_sensor_tick(objects: int = 10_000, ticks: int = 10, settings: tuple[int, ...] = (1000, 0)) -> dict:
    """``{str(sweep_keys): figures}``: wall and CPU seconds of ticks that follow one new
    object among ``objects``, per ``SPOTIFY_SENSOR_SWEEP_KEYS`` value in ``settings``."""
    import boto3

    from benchmarks.data import days, item_pool, playlist_document, spotify_like_id
    from spotify_assets.lake.layout import raw_key

    with moto_server() as endpoint:
        _aws_env(endpoint)
        s3 = boto3.session.Session(region_name=REGION).client("s3")
        s3.create_bucket(Bucket=BUCKET)
        body = orjson.dumps(playlist_document(spotify_like_id("sensor"), item_pool(3), "s"))
        per_day = 30
        dts = days("2024-01-01", -(-objects // per_day))
        keys = [f"lake/{raw_key(dts[i // per_day], spotify_like_id('sensor', i))}" for i in range(objects)]
        started = time.perf_counter()
        with ThreadPoolExecutor(32) as pool:
            list(pool.map(lambda key: s3.put_object(Bucket=BUCKET, Key=key, Body=body), keys))
        put_s = time.perf_counter() - started

        written = set(dts)  # days with objects: the catch-up of a later setting also sees the earlier new ones

        def put_new(dt: str, name: str) -> None:
            s3.put_object(Bucket=BUCKET, Key=f"lake/{raw_key(dt, spotify_like_id(name))}", Body=body)
            written.add(dt)

        out = {"objects": objects, "put_s": put_s}
        for sweep_keys in settings:
            out[str(sweep_keys)] = _measure_setting(f"s3://{BUCKET}/lake", sweep_keys, sorted(written), ticks, put_new)
    return out


def _measure_setting(lake_url: str, sweep_keys: int, dts: list[str], ticks: int, put_new) -> dict:
    """Figures of one ``SPOTIFY_SENSOR_SWEEP_KEYS`` value; ``dts``: every day with objects."""
    from datetime import datetime, timezone

    import dagster as dg

    from spotify_assets.resources.lake_resource import LakeResource
    from spotify_assets.sensors.raw_playlist_sensor import build_raw_playlist_sensor
    from spotify_assets.settings import Settings

    settings = Settings.from_env({**os.environ, "SPOTIFY_SENSOR_SWEEP_KEYS": str(sweep_keys)})
    sensor = build_raw_playlist_sensor(settings=settings)
    instance = dg.DagsterInstance.ephemeral()
    resources = {
        "lake": LakeResource(
            lake_url=lake_url, aws_region=settings.aws_region, aws_endpoint_url=settings.aws_endpoint_url
        )
    }

    def tick(cursor: str | None) -> tuple[dg.SensorResult, float, float]:
        context = dg.build_sensor_context(cursor=cursor, instance=instance, resources=resources)
        wall, cpu = time.perf_counter(), time.process_time()
        result = sensor(context)
        return result, time.perf_counter() - wall, time.process_time() - cpu

    def sweeping(result: dg.SensorResult) -> bool:
        return orjson.loads(result.cursor)["zones"]["raw"]["sweep_after"] is not None

    logging.disable(logging.INFO)  # catch-up ticks log one line naming every partition
    try:
        requested: list[str] = []
        catch_up_walls = []
        cursor = None
        while True:
            result, wall, _ = tick(cursor)
            requested += [r.partition_key for r in result.run_requests]
            catch_up_walls.append(wall)
            cursor = result.cursor
            if not sweeping(result):
                break
        if sorted(requested) != sorted(dts):
            raise RuntimeError(f"catch-up: expected one run request for each of {len(dts)} days, got {len(requested)}")

        today = datetime.now(timezone.utc).date().isoformat()
        pending: dict[str, int] = {}  # partition -> tick number of its PUT
        latency: dict[str, tuple[str, int]] = {}  # partition -> (kind, ticks until requested)
        walls, cpus = [], []
        n = 0
        while n < ticks or pending:
            if n < ticks:
                dt = today if n % 2 == 0 else dts[(n * 7919) % len(dts)]  # an old day, spread over the zone
                if dt in pending or dt in latency:
                    dt = dts[(n * 7919 + 1) % len(dts)]
                put_new(dt, f"new{sweep_keys}-{n}")
                pending[dt] = n
            result, wall, cpu = tick(cursor)
            cursor = result.cursor
            if n < ticks:
                walls.append(wall)
                cpus.append(cpu)
            for r in result.run_requests:
                if r.partition_key not in pending:
                    raise RuntimeError(f"tick {n}: unexpected run request {r.partition_key} ({r.run_key})")
                latency[r.partition_key] = (
                    "today" if r.partition_key == today else "old",
                    n - pending.pop(r.partition_key) + 1,
                )
            n += 1
            if n > ticks + 100:
                raise RuntimeError(f"objects never requested: {sorted(pending)}")
    finally:
        logging.disable(logging.NOTSET)
        instance.dispose()  # in this thread: its in-memory SQLite must not be closed by another
    old = [t for kind, t in latency.values() if kind == "old"]
    new_today = [t for kind, t in latency.values() if kind == "today"]
    return {
        "sweep_keys": sweep_keys,
        "catch_up_ticks": len(catch_up_walls),
        "catch_up_max_tick_wall_s": max(catch_up_walls),
        "catch_up_runs": len(requested),
        "tick_wall_s": walls,
        "tick_cpu_s": cpus,
        "median_tick_wall_s": statistics.median(walls),
        "max_tick_wall_s": max(walls),
        "median_tick_cpu_s": statistics.median(cpus),
        "today_latency_ticks_max": max(new_today),
        "old_folder_latency_ticks_max": max(old) if old else None,
        "cursor_bytes": len(cursor or ""),
    }
