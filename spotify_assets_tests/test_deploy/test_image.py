"""The container image as far as it can be checked without a Docker daemon: the Dockerfile
passes hadolint, installs the lock and runs as a non-root user; the locks agree with each
other and with the environment the tests run in; and the image's own default command, run
as a process on 127.0.0.1, serves the code location over gRPC to a webserver on the
deployment's workspace (deploy/workspace.yaml)."""

import os
import re
import subprocess
from importlib import metadata
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from spotify_assets.definitions import build_definitions
from spotify_assets.settings import Settings
from spotify_assets_tests.support.ports import free_port
from spotify_assets_tests.support.servers import BIN, asset_nodes, server_process, wait_until, webserver

pytestmark = pytest.mark.slow  # starts processes or servers (README, Tests)

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "deploy" / "Dockerfile"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", re.MULTILINE)


def _instructions() -> list[tuple[str, str]]:
    return [(i["instruction"], i["value"]) for i in DockerfileParser(path=str(DOCKERFILE)).structure]


def _pins(lock: str) -> dict[str, str]:
    return {name.lower().replace("_", "-"): version for name, version in _PIN.findall((REPO / lock).read_text())}


def test_the_dockerfile_passes_hadolint():
    done = subprocess.run(
        [str(BIN / "hadolint"), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_the_image_installs_the_lock_and_runs_the_code_server_as_a_user():
    instructions = _instructions()
    runs = [value for kind, value in instructions if kind == "RUN"]
    assert any("pip install --no-cache-dir -r requirements.lock" in run for run in runs)
    assert any("pip install --no-cache-dir --no-deps ." in run for run in runs)  # nothing resolved beyond the lock
    users = [value for kind, value in instructions if kind == "USER"]
    assert users and users[-1] not in ("root", "0")
    last_user = max(i for i, (kind, _) in enumerate(instructions) if kind == "USER")
    cmd = max(i for i, (kind, _) in enumerate(instructions) if kind == "CMD")
    assert last_user < cmd and instructions[cmd][1].startswith(
        '["dagster", "code-server", "start", "-m", "spotify_assets.definitions"'
    )
    copied = " ".join(value for kind, value in instructions if kind == "COPY")
    assert "deploy/dagster.yaml deploy/workspace.yaml /opt/dagster/home/" in copied


def test_the_locks_agree_with_each_other_and_with_the_tested_environment():
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert len(runtime) > 50 and {"dagster", "dagster-aws", "spotipy", "pyarrow", "pyathena"} <= set(runtime)
    assert {name: dev.get(name) for name in runtime} == runtime  # the image gets what CI tests
    installed = {name: metadata.version(name) for name in dev}
    assert installed == dev


def _cmd_args() -> list[str]:
    """The arguments of the Dockerfile's one CMD (its exec form, a JSON list of strings)."""
    (cmd,) = [value for kind, value in _instructions() if kind == "CMD"]
    return [part.strip().strip('"') for part in cmd.strip("[]").split(",")]


def _image_command(host: str, port: int) -> list[str]:
    """The Dockerfile's CMD with the listening address replaced (0.0.0.0:4000 in the image)."""
    args = _cmd_args()
    args[args.index("-h") + 1], args[args.index("-p") + 1] = host, str(port)
    return [str(BIN / args[0]), *args[1:]]


def test_the_images_command_serves_the_assets_to_a_webserver_on_the_grpc_workspace(tmp_path, lake_dir):
    # Every asset the code location ships, as build_definitions() makes them.
    shipped = {key.to_user_string() for key in build_definitions(Settings.from_env()).resolve_all_asset_keys()}
    assert len(shipped) == 8
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "home"),
        "DAGSTER_CODE_SERVER_HOST": "127.0.0.1",
        "DAGSTER_CODE_SERVER_PORT": str(port),
    }
    os.makedirs(env["DAGSTER_HOME"])
    health = [str(BIN / "dagster"), "api", "grpc-health-check", "-p", str(port), "-h", "127.0.0.1"]

    def serving() -> bool:
        return subprocess.run(health, env=env, capture_output=True, timeout=30).returncode == 0

    with server_process(_image_command("127.0.0.1", port), env, tmp_path) as code_server:
        wait_until(serving, code_server, "the image's code server")
        with webserver(REPO / "deploy" / "workspace.yaml", env, tmp_path, free_port()) as url:
            nodes = asset_nodes(url, shipped)
    assert set(nodes) == shipped
    assert all(node["groupName"] == "spotify" and node["isPartitioned"] for node in nodes.values())


def test_the_readme_the_dockerfile_and_the_template_give_the_same_three_commands():
    from spotify_assets_tests.support.cloudformation import load_template

    readme = (REPO / "README.md").read_text()
    table = readme[readme.index("One image, three commands:") :].split("\n\n", 2)[1]
    documented = dict(
        re.findall(r"^\| (code server|webserver|daemon)[^|]* \| `([^`]+)` \|$", table, flags=re.MULTILINE)
    )
    assert documented["code server"].split() == _cmd_args()
    containers = {
        c["Name"]: [str(part) for part in c["Command"]]
        for resource in load_template()["Resources"].values()
        if resource["Type"] == "AWS::ECS::TaskDefinition"
        for c in resource["Properties"]["ContainerDefinitions"]
        if "Command" in c
    }
    assert {name: containers.get(name) for name in ("code-server", "webserver", "daemon")} == {
        "code-server": documented["code server"].split(),
        "webserver": documented["webserver"].split(),
        "daemon": documented["daemon"].split(),
    }
