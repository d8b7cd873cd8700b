"""Every command block of the README runs as written, from the repository root, after the demo,
against the same Dagster instance and lake that the UI uses.

The convention: every fenced ``bash`` block of README.md is run, unless the line before it is
``<!-- not run by the tests: <reason> -->`` with a reason from :data:`SKIP_REASONS`. Every
statement of a ``sql`` block is run with ``spotify-assets query`` and must answer rows.

How: the repository's files (``git ls-files``, untracked ones included) are copied to a temporary
folder with ``./.venv`` linked in, so the real checkout is not written to; there
``./scripts/demo.sh`` (the first of the README's two commands) runs once (the ``after_demo`` fixture
of ``support/fixtures/demo.py``, shared with test_demo.py), then each block runs with
``bash -e -c`` from that root, in an environment without the project's variables, without
``DAGSTER_HOME`` and without the venv on ``PATH``: each block must set up what it needs.
``PYTHONPATH`` points at the copy, because the venv's editable install points at the checkout.
A block that runs ``dagster dev`` (or ``./scripts/ui.sh``) is started in its own process group, asked over GraphQL, and
killed whole; ``DAGSTER_WEBSERVER_PORT`` moves it off port 3000, which another process may hold.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from spotify_assets_tests.support.fixtures.demo import BLOCK_TIMEOUT_S, Checkout
from spotify_assets_tests.support.ports import free_port
from spotify_assets_tests.support.servers import http_ok, server_process, wait_until

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()

SKIP_REASONS = {
    "runs the whole test suite",
    "needs an AWS account",
    "needs an AWS account and Docker",
    "needs a Spotify account",
    "a deployment's environment, not commands",
}
SHELL_LANGUAGES = {"bash", "sh", "shell"}
MIN_RUN_BLOCKS = 5

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", flags=re.MULTILINE | re.DOTALL)
_SKIP = re.compile(r"<!-- not run by the tests: (.*?) -->")


@dataclass(frozen=True)
class Block:
    """One fenced block of README.md: its first line (1-based), language, text and skip reason."""

    line: int
    language: str
    text: str
    skip_reason: str | None

    def __str__(self) -> str:
        return f"README.md:{self.line}"


def readme_blocks(readme: str = README) -> list[Block]:
    """Every fenced block, with the reason from a ``not run by the tests`` comment on the line before."""
    blocks = []
    for match in _FENCE.finditer(readme):
        before = readme[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = _SKIP.fullmatch(before.strip())
        line = readme.count("\n", 0, match.start()) + 1
        blocks.append(Block(line, match.group(1), match.group(2), skip.group(1) if skip else None))
    return blocks


def sql_statements(block: Block) -> list[str]:
    """The statements of a ``sql`` block, without their ``--`` comment lines."""
    lines = [line for line in block.text.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


SHELL_BLOCKS = [b for b in readme_blocks() if b.language in SHELL_LANGUAGES]
RUN_BLOCKS = [b for b in SHELL_BLOCKS if b.skip_reason is None]
SQL_BLOCKS = [b for b in readme_blocks() if b.language == "sql"]


def test_every_shell_block_is_run_or_says_why_not_from_the_short_list():
    reasons = {str(b): b.skip_reason for b in SHELL_BLOCKS if b.skip_reason is not None}
    assert set(reasons.values()) <= SKIP_REASONS, reasons
    assert len(RUN_BLOCKS) >= MIN_RUN_BLOCKS, [str(b) for b in RUN_BLOCKS]
    assert len(SQL_BLOCKS) >= 3 and sum(len(sql_statements(b)) for b in SQL_BLOCKS) >= 10
    # A marker with no block right after it would skip nothing: every marker belongs to a block.
    markers = re.findall(rf"^{_SKIP.pattern}$", README, flags=re.MULTILINE)
    assert len(markers) == len(reasons), markers
    assert {b.language for b in readme_blocks()} <= SHELL_LANGUAGES | {"sql", "", "json", "yaml"}
    # The demo the run test starts from is the README's first command.
    assert SHELL_BLOCKS[0].text.splitlines()[0].split("#")[0].strip() == "./scripts/demo.sh"


# ---------------------------------------------------------------------------- after the demo
def _graphql(url: str, query: str) -> dict:
    answer = requests.post(f"{url}/graphql", json={"query": query}, timeout=30).json()
    assert "errors" not in answer, answer
    return answer["data"]


UI_QUERY = """{
  assetNodes(assetKeys: [{path: ["songs"]}]) { partitionStats { numMaterialized numFailed } }
  repositoriesOrError { ... on RepositoryConnection { nodes { sensors { name sensorState { status } } } } }
}"""


def _check_dagster_dev(checkout: Checkout, block: Block) -> None:
    """The UI the block starts shows the demo's days materialized: it reads the demo's instance."""
    port = free_port()
    env = {**checkout.env, "DAGSTER_WEBSERVER_PORT": str(port)}
    url = f"http://127.0.0.1:{port}"
    with server_process(["bash", "-e", "-c", block.text], env, checkout.root) as process:
        wait_until(lambda: http_ok(f"{url}/server_info"), process, f"dagster dev of {block}")
        wait_until(lambda: _graphql(url, UI_QUERY)["assetNodes"], process, "the code location in the UI")
        data = _graphql(url, UI_QUERY)
    # A quiet start-up: no Python warning (Dagster's own notices included) that a user cannot act on.
    assert not re.findall(r"^.*\w+Warning: .*$", process.stderr.read().decode(), flags=re.MULTILINE)
    (songs,) = data["assetNodes"]
    # The demo's 30 days (read from its lake, not only from what the UI says).
    assert songs["partitionStats"] == {"numMaterialized": len(checkout.demo_days), "numFailed": 0}
    assert len(checkout.demo_days) == 30
    sensors = {s["name"] for repo in data["repositoriesOrError"]["nodes"] for s in repo["sensors"]}
    assert "raw_playlist_sensor" in sensors


def _check_materialize(checkout: Checkout, block: Block, runs_before: list) -> None:
    """Each ``dagster asset materialize`` of the block is a new successful run in the demo's instance
    (without its DAGSTER_HOME the CLI runs on a throwaway instance, which the UI never shows)."""
    import dagster as dg

    known = {r.run_id for r in runs_before}
    runs = [r for r in checkout.runs() if r.run_id not in known]
    assert len(runs) == block.text.count("dagster asset materialize"), runs
    assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs), runs
    assert all(r.tags.get("dagster/partition") or r.tags.get("dagster/asset_partition_range_start") for r in runs)


def _rows_answered(output: str) -> list[int]:
    """The row counts of every ``spotify-assets query`` table printed in ``output``."""
    counts = re.findall(r"^\((?:(\d+) rows?|showing \d+ of (\d+) rows;.*)\)$", output, flags=re.MULTILINE)
    return [int(a or b) for a, b in counts]


def _run_and_check(checkout: Checkout, block: Block) -> None:
    if re.search(r"^(dagster dev|\./scripts/ui\.sh)\b", block.text, flags=re.MULTILINE):
        _check_dagster_dev(checkout, block)
        return
    runs_before = checkout.runs()
    done = checkout.run(block.text)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{block} exited {done.returncode}:\n{output[-3000:]}"
    checked = 0
    if "dagster asset materialize" in block.text:
        _check_materialize(checkout, block, runs_before)
        checked += 1
    if re.search(r"dagster (sensor|schedule) start", block.text):
        _check_running(checkout, block)
        checked += 1
    if "spotify-assets query" in block.text:
        answered = _rows_answered(done.stdout)
        assert len(answered) == block.text.count("spotify-assets query") and all(answered), done.stdout
        checked += 1
    assert checked, f"{block}: no fact of this block is checked; add a check to {__name__}"


def _check_running(checkout: Checkout, block: Block) -> None:
    """Every sensor and schedule the block starts is RUNNING in the demo's instance, which the UI reads."""
    started = set(re.findall(r"dagster (?:sensor|schedule) start (\w+)", block.text))
    with checkout.instance() as instance:
        states = {s.instigator_name: s.status.value for s in instance.all_instigator_state()}
    assert {name: states.get(name) for name in started} == dict.fromkeys(started, "RUNNING")


@pytest.mark.slow
@pytest.mark.parametrize("block", RUN_BLOCKS, ids=str)
def test_the_block_runs_as_written_after_the_demo(after_demo, block):
    """The block exits 0 from the copy's root, and what it did is in the demo's instance and lake."""
    _run_and_check(after_demo, block)


QUERY_SCRIPT = """
import sys
from spotify_assets.cli import main
for sql in sys.argv[1:]:
    try:
        code = main(["query", sql])
    except SystemExit as stop:
        code = stop.code
    print(f"-- exit {code}", flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("block", SQL_BLOCKS, ids=str)
def test_every_sql_statement_answers_rows_after_the_demo(after_demo, block):
    """Each statement exits 0 through ``spotify-assets query`` and answers at least one row."""
    statements = sql_statements(block)
    # One process for all the statements of the block, through the `spotify-assets query` command's own code.
    done = subprocess.run(
        [str(after_demo.root / ".venv" / "bin" / "python"), "-c", QUERY_SCRIPT, *statements],
        cwd=after_demo.root,
        env=after_demo.env,
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answers = done.stdout.split("-- exit ")
    assert len(answers) == len(statements) + 1, done.stdout
    exits = [answer.split("\n", 1)[0] for answer in answers[1:]]
    assert exits == ["0"] * len(statements), done.stdout + done.stderr
    rows = dict(zip(statements, _rows_answered(done.stdout)))
    # The demo fills 30 days, so statements about change between days answer rows too.
    empty = [sql for sql, n in rows.items() if n == 0]
    assert len(rows) == len(statements) and not empty, done.stdout
