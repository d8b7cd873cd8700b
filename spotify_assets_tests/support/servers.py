"""Dagster server processes for tests: started in their own process group, waited for over
real HTTP/gRPC, and stopped whole (``dagster dev`` and the webserver may ignore SIGTERM)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests

BIN = Path(sys.executable).parent  # the venv's console scripts: dagster, dagster-webserver
ASSET_NODES_QUERY = "{ assetNodes { assetKey { path } groupName isPartitioned partitionDefinition { type name } partitionKeysByDimension { name partitionKeys } } }"


@contextmanager
def server_process(args: Sequence[str], env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen]:
    """``args`` running in a new process group; SIGTERM then SIGKILL to the group on exit."""
    process = subprocess.Popen(
        list(args), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until(ready, process: subprocess.Popen, what: str, timeout_s: float = 120) -> None:
    """Poll ``ready()`` until true; ``AssertionError`` with the process's stderr when it exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        if process.poll() is not None:
            raise AssertionError(f"{what} exited: {process.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not answer within {timeout_s:g} s")
        time.sleep(0.5)


def http_ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.ConnectionError:
        return False


@contextmanager
def webserver(workspace: Path, env: dict[str, str], cwd: Path, port: int) -> Iterator[str]:
    """``dagster-webserver`` on 127.0.0.1:``port`` over ``workspace``; yields its URL once it answers."""
    args = [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-w", str(workspace)]
    with server_process(args, env, cwd) as process:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_ok(f"{url}/server_info"), process, "dagster-webserver")
        yield url


def asset_nodes(url: str, expected: set[str], timeout_s: float = 60) -> dict[str, dict]:
    """``{asset key: node}`` from the webserver's GraphQL, polled until ``expected`` are there
    (the code location loads in the background after the server answers)."""
    deadline = time.monotonic() + timeout_s
    while True:
        data = requests.post(f"{url}/graphql", json={"query": ASSET_NODES_QUERY}, timeout=30).json()
        nodes = {"/".join(n["assetKey"]["path"]): n for n in (data.get("data") or {}).get("assetNodes") or []}
        if expected <= set(nodes) or time.monotonic() > deadline:
            assert expected <= set(nodes), data
            return nodes
        time.sleep(1)
