"""(c) One tick of ``raw_playlist_sensor`` with many raw objects already on S3 and one new.

A moto server runs as a separate process on 127.0.0.1 (so its work does not share the
GIL or the measured CPU time with the tick). ``objects`` raw objects are PUT into
``s3://<bucket>/lake/raw_playlist/dt=<day>/<id>.json`` in parallel; a first tick (no
cursor) sees them all and makes the cursor; then, ``ticks`` times, one new object is
PUT and the real sensor is evaluated with ``build_sensor_context`` and the previous
tick's cursor. With ``full_sweep_s`` 0 (the default setting) every tick lists the whole
raw zone (ListObjectsV2, 1,000 keys a page) and the new object goes into an old day's
folder; with ``full_sweep_s`` > 0 (``SPOTIFY_SENSOR_FULL_SWEEP_S``) the measured ticks
list only the last days' folders and the new object is today's, as a daily run writes it.
"""

from __future__ import annotations

import logging
import os
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import orjson

BUCKET = "spotify-bench-lake"
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def moto_server():
    """A ``moto_server`` process on a free port; yields its endpoint URL and stops it."""
    import requests

    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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
    os.environ.update({
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
    })
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        os.environ.pop(name, None)


def measure_sensor_tick(objects: int = 10_000, ticks: int = 5, full_sweep_s: int = 0) -> dict:
    """Seconds (wall and CPU) of ticks that each find one new object among ``objects``."""
    from datetime import datetime, timezone

    import boto3
    import dagster as dg

    from benchmarks.data import days, item_pool, playlist_document, spotify_like_id
    from spotify_assets.lake.layout import raw_key
    from spotify_assets.resources.lake_resource import LakeResource
    from spotify_assets.sensors.raw_playlist_sensor import build_raw_playlist_sensor

    with moto_server() as endpoint:
        _aws_env(endpoint)
        s3 = boto3.session.Session(region_name=REGION).client("s3")
        s3.create_bucket(Bucket=BUCKET)
        lake_url = f"s3://{BUCKET}/lake"
        body = orjson.dumps(playlist_document(spotify_like_id("sensor"), item_pool(3), "s"))
        per_day = 30
        dts = days("2024-01-01", -(-objects // per_day))
        keys = [f"lake/{raw_key(dts[i // per_day], spotify_like_id('sensor', i))}" for i in range(objects)]
        started = time.perf_counter()
        with ThreadPoolExecutor(32) as pool:
            list(pool.map(lambda key: s3.put_object(Bucket=BUCKET, Key=key, Body=body), keys))
        put_s = time.perf_counter() - started

        os.environ["SPOTIFY_SENSOR_FULL_SWEEP_S"] = str(full_sweep_s)
        sensor = build_raw_playlist_sensor()
        instance = dg.DagsterInstance.ephemeral()
        resources = {"lake": LakeResource(lake_url=lake_url)}

        def tick(cursor: str | None) -> tuple[dg.SensorResult, float, float]:
            context = dg.build_sensor_context(cursor=cursor, instance=instance, resources=resources)
            wall, cpu = time.perf_counter(), time.process_time()
            result = sensor(context)
            return result, time.perf_counter() - wall, time.process_time() - cpu

        logging.disable(logging.INFO)  # the first tick logs one line naming every partition
        try:
            first, first_wall, first_cpu = tick(None)
        finally:
            logging.disable(logging.NOTSET)
        if len(first.run_requests) != len(dts):
            raise RuntimeError(f"first tick: expected {len(dts)} run requests, got {len(first.run_requests)}")
        cursor = first.cursor
        walls, cpus = [], []
        for n in range(ticks):
            dt = datetime.now(timezone.utc).date().isoformat() if full_sweep_s else "2025-06-01"
            s3.put_object(Bucket=BUCKET, Key=f"lake/{raw_key(dt, spotify_like_id('new', n))}", Body=body)
            result, wall, cpu = tick(cursor)
            if [r.partition_key for r in result.run_requests] != [dt]:
                raise RuntimeError(f"tick {n}: expected one run request for {dt}, got {result.run_requests}")
            walls.append(wall)
            cpus.append(cpu)
            cursor = result.cursor
    os.environ.pop("SPOTIFY_SENSOR_FULL_SWEEP_S", None)
    return {
        "objects": objects,
        "full_sweep_s": full_sweep_s,
        "put_s": put_s,
        "first_tick_wall_s": first_wall,
        "first_tick_cpu_s": first_cpu,
        "first_tick_runs": len(first.run_requests),
        "tick_wall_s": walls,
        "tick_cpu_s": cpus,
        "median_tick_wall_s": statistics.median(walls),
        "max_tick_wall_s": max(walls),
        "median_tick_cpu_s": statistics.median(cpus),
        "cursor_bytes": len(cursor or ""),
    }
