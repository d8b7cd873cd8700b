"""(a) Transform throughput: one raw JSON object → the four Parquet tables, against
stdlib ``json.load`` of the same file.

Time: both in the same process, alternated, best of N (wall and CPU). Peak RSS: each in
a fresh interpreter (``python -m benchmarks.transform rss json|transform FILE``). The
``json`` worker imports nothing but the stdlib, so its figure is the bare cost of the
parsed file; the ``transform`` worker's includes importing pyarrow and the project.
"""

from __future__ import annotations

import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DT = "2026-01-01"


def json_load(path: Path) -> object:
    """What the baseline does: ``json.load`` of the file."""
    with open(path, "rb") as f:
        return json.load(f)


def transform(path: Path, lake_root: str) -> dict[str, int]:
    """Raw object bytes → four Parquet files under ``lake_root``, the way ``spotify_tables``
    and ``ParquetLakeIOManager`` do it (parse_raw_object, build_tables, split by dt,
    parquet_bytes, atomic Lake.write_bytes); returns ``{table: rows}``."""
    from spotify_assets.lake.lake import Lake
    from spotify_assets.lake.layout import RawObject, raw_key, table_key
    from spotify_assets.lake.parquet import parquet_bytes, split_by_partition
    from spotify_assets.transform import build_partition_tables

    body = path.read_bytes()
    built = build_partition_tables([RawObject(dt=DT, key=raw_key(DT, "0" * 22), body=body)], [DT])
    lake = Lake(lake_root)
    rows = {}
    for name, table in built.tables.items():
        for key, part in split_by_partition(table, [DT]).items():
            lake.write_bytes(table_key(name, key), parquet_bytes(part))
        rows[name] = table.num_rows
    return rows


def _timed(fn, *args) -> tuple[float, float]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    del result
    return wall, cpu


def measure_time(path: Path, repeats: int) -> dict:
    """Best-of-``repeats`` wall and CPU seconds of ``json.load`` and of the transform,
    alternated in this process (one warm-up of each first: imports, page cache)."""
    from spotify_assets.transform import build_partition_tables  # noqa: F401  (import outside the timing)

    with tempfile.TemporaryDirectory() as lake_root:
        rows = transform(path, lake_root)
        json_load(path)
        json_runs, transform_runs = [], []
        for _ in range(repeats):
            json_runs.append(_timed(json_load, path))
            transform_runs.append(_timed(transform, path, lake_root))
    return {
        "rows": rows,
        "json_wall_s": min(w for w, _ in json_runs),
        "json_cpu_s": min(c for _, c in json_runs),
        "transform_wall_s": min(w for w, _ in transform_runs),
        "transform_cpu_s": min(c for _, c in transform_runs),
    }


def measure_rss(path: Path, repeats: int) -> dict:
    """Peak RSS (MiB) of a fresh process that only ``json.load``s the file and of one that
    runs the transform (the lowest of ``repeats`` fresh processes of each), and each
    one's peak after its imports, before reading the file (``*_imports_mib``)."""
    out = {}
    for mode in ("json", "transform"):
        answers = []
        for _ in range(repeats):
            run = subprocess.run(
                [sys.executable, "-m", "benchmarks.transform", "rss", mode, str(path)],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
            )
            answers.append(json.loads(run.stdout.strip().splitlines()[-1]))
        best = min(answers, key=lambda a: a["maxrss_mib"])
        out[f"{mode}_rss_mib"] = best["maxrss_mib"]
        out[f"{mode}_imports_mib"] = best["imports_mib"]
    return out


def _rss_worker(mode: str, path: Path) -> None:
    if mode == "transform":  # import what the transform needs before noting the baseline
        import pyarrow as pa

        import spotify_assets.lake.parquet  # noqa: F401
        import spotify_assets.transform  # noqa: F401

        # pyarrow imports pandas (~30 MiB) the first time it converts Python lists, data or not.
        pa.array([0])
    imported = peak_rss_mib()
    if mode == "json":
        json_load(path)
    else:
        with tempfile.TemporaryDirectory() as lake_root:
            transform(path, lake_root)
    print(json.dumps({"maxrss_mib": peak_rss_mib(), "imports_mib": imported}))


def peak_rss_mib() -> float:
    """This process's peak RSS in MiB: ``VmHWM`` of /proc/self/status.

    Not ``ru_maxrss`` alone: Linux carries the parent's high-water mark over fork+exec
    (a child of a 370 MiB parent reports >= 370 MiB even when it uses 10 MiB), and the
    runner has held the large playlist itself. VmHWM belongs to the new address space.
    ``ru_maxrss`` is used where /proc is absent.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "rss" and sys.argv[2] in ("json", "transform"):
        _rss_worker(sys.argv[2], Path(sys.argv[3]))
    else:
        sys.exit("usage: python -m benchmarks.transform rss json|transform FILE")
