"""What the figures were measured on: cores, memory, CPU model, versions, load."""

from __future__ import annotations

import os
import platform
import sys
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version

PACKAGES = ("dagster", "pyarrow", "duckdb", "orjson", "msgspec", "s3fs", "spotipy", "moto")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 2**20  # kB
    except OSError:
        pass
    return None


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (the machine is shared)."""
    try:
        return " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def machine() -> dict:
    """``{cores, ram_gib, cpu, os, python, versions, date}`` of this run."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "absent"
    ram = _ram_gib()
    return {
        "cores": os.cpu_count(),
        "ram_gib": round(ram, 1) if ram else None,
        "cpu": _cpu_model(),
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "versions": versions,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
