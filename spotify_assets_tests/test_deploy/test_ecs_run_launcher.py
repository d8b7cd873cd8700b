"""The deployment's run launcher and step logs (``deploy/dagster.yaml``): dagster-aws's
``EcsRunLauncher`` and ``S3ComputeLogManager`` on moto's server (ECS, EC2, Secrets Manager,
S3), with the instance's storage on a real PostgreSQL server on 127.0.0.1.

One run is launched and executed for the whole module, as on AWS:

1. moto holds what the stack declares: the cluster, the daemon's running Fargate task (the
   launcher's "current task", in a subnet and security group), the run task definition
   ``spotify-assets-run`` with its container ``run`` whose secrets are Secrets Manager ARNs.
2. ECS's task metadata endpoint (``ECS_CONTAINER_METADATA_URI_V4``) is a real HTTP server on
   127.0.0.1 answering what ECS answers inside the daemon's task (cluster and task ARN).
3. The instance loaded from ``deploy/dagster.yaml`` launches a ``spotify_tables`` run for one
   day, as the daemon does for a dequeued run; the RunTask request bodies and the Secrets
   Manager calls its launcher sends are recorded (botocore's ``before-send`` event).
4. The run task is then played as ECS would start it: the run task definition's environment
   plus its secrets resolved from Secrets Manager, and the RunTask's command override, as a
   plain process.

Skipped, with the reason, where no PostgreSQL server binaries are installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import dagster as dg
import pytest
import yaml
from dagster._core.test_utils import in_process_test_workspace
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import raw_key, table_key
from spotify_assets.spotify.offline_sample import load_sample_playlist
from spotify_assets.vocabulary import SPOTIFY_TABLE_NAMES
from spotify_assets_tests.support.fixtures.lake import clean_project_env
from spotify_assets_tests.support.fixtures.moto import REGION, point_aws_at, reset_moto
from spotify_assets_tests.support.postgres_server import postgres_server, unavailable_reason

REPO = Path(__file__).resolve().parents[2]
DEPLOY_YAML = REPO / "deploy" / "dagster.yaml"

CLUSTER = "spotify-assets"
RUN_FAMILY = "spotify-assets-run"  # the stack's RunTaskDefinition family, <ProjectName>-run
RUN_CONTAINER = "run"
LOG_BUCKET = "spotify-assets-lake"
LOG_PREFIX = "dagster/compute-logs"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/spotify-assets:test"
DAY = "2025-03-01"
# Secret values as they sit in Secrets Manager; none may leave it but for the run task.
SECRETS = {
    "DAGSTER_PG_PASSWORD": "pg-password-6f1c0e",  # trust authentication ignores it
    "SPOTIFY_CLIENT_ID": "client-id-2b7d41",
    "SPOTIFY_CLIENT_SECRET": "client-secret-9a03e5",
    "SPOTIFY_REFRESH_TOKEN": "refresh-token-c48f27",
}

pytestmark = [
    pytest.mark.slow,  # starts processes or servers (README, Tests)
    pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason())),
]


@dataclass
class Launched:
    """What one launch and its played run task left behind."""

    run_id: str
    run_task_definition_arn: str
    run_task_definitions: list[str]  # every revision of the family after the launch
    daemon_network: dict  # the daemon task's subnets and security groups
    secret_arns: dict[str, str]
    run_task_requests: list[bytes]  # RunTask request bodies, as sent
    secrets_manager_calls: list[str]  # operations the launcher sent to Secrets Manager
    task: dict  # DescribeTasks' answer for the run's task
    task_definition: dict  # DescribeTaskDefinition's answer for the run's task
    run_tags: dict[str, str]
    executed: subprocess.CompletedProcess
    run_status: dg.DagsterRunStatus
    log_objects: dict[str, bytes]  # key → content, under the compute-log prefix
    lake: Path


class _TaskMetadataHandler(BaseHTTPRequestHandler):
    """ECS's task metadata endpoint v4, as seen from inside the daemon's container."""

    container: dict = {}
    task: dict = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = {"/": self.container, "/task": self.task}.get(self.path.rstrip("/") or "/")
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body or {}).encode())

    def log_message(self, *args):  # keep pytest's output clean
        pass


def _metadata_server(cluster_arn: str, task_arn: str) -> ThreadingHTTPServer:
    handler = type(
        "Handler",
        (_TaskMetadataHandler,),
        {
            "container": {"Name": "daemon", "DockerId": "0" * 12},
            "task": {"Cluster": cluster_arn, "TaskARN": task_arn, "LaunchType": "FARGATE"},
        },
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _stack(pg_env: dict[str, str], lake: Path) -> tuple[dict[str, str], dict, str, str, str]:
    """What the CloudFormation stack creates, on moto: returns the secret ARNs, the daemon's
    network, the cluster ARN, the daemon's task ARN and the run task definition ARN."""
    session = boto3.session.Session(region_name=REGION)
    session.client("s3").create_bucket(Bucket=LOG_BUCKET)
    secrets = session.client("secretsmanager")
    arns = {
        name: secrets.create_secret(Name=f"spotify-assets/{name.lower()}", SecretString=value)["ARN"]
        for name, value in SECRETS.items()
    }
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    # DNS hostnames on, as the stack's private DNS namespace needs (moto names a task's ENI only then).
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="spotify-assets-tasks", Description="tasks", VpcId=vpc)["GroupId"]
    ecs = session.client("ecs")
    cluster_arn = ecs.create_cluster(clusterName=CLUSTER)["cluster"]["clusterArn"]
    fargate = {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "1024"}
    # moto's RunTask adds up the containers' memory, so each container gives one (ECS does not need it).
    memory = {"memory": 1024}
    ecs.register_task_definition(
        family="spotify-assets-daemon",
        **fargate,
        containerDefinitions=[{"name": "daemon", "image": IMAGE, **memory, "command": ["dagster-daemon", "run"]}],
    )
    network = {"subnets": [subnet], "securityGroups": [group], "assignPublicIp": "DISABLED"}
    daemon = ecs.run_task(
        cluster=CLUSTER,
        taskDefinition="spotify-assets-daemon",
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": network},
    )["tasks"][0]
    environment = {
        **{name: value for name, value in pg_env.items() if name != "DAGSTER_PG_PASSWORD"},
        "SPOTIFY_LAKE_URL": str(lake),
        "SPOTIFY_DUCKDB_PATH": str(lake.parent / "catalog.duckdb"),
        "DAGSTER_RUN_TASK_DEFINITION": RUN_FAMILY,
        "DAGSTER_RUN_CONTAINER_NAME": RUN_CONTAINER,
        "DAGSTER_COMPUTE_LOG_BUCKET": LOG_BUCKET,
        "DAGSTER_COMPUTE_LOG_PREFIX": LOG_PREFIX,
    }
    run_definition = ecs.register_task_definition(
        family=RUN_FAMILY,
        **fargate,
        containerDefinitions=[
            {
                "name": RUN_CONTAINER,
                "image": IMAGE,
                "essential": True,
                **memory,
                "environment": [{"name": name, "value": value} for name, value in environment.items()],
                "secrets": [{"name": name, "valueFrom": arn} for name, arn in arns.items()],
            }
        ],
    )["taskDefinition"]
    return arns, network, cluster_arn, daemon["taskArn"], run_definition["taskDefinitionArn"]


def _play_run_task(task: dict, task_definition: dict, endpoint: str) -> subprocess.CompletedProcess:
    """Start the run task's container as ECS would: the task definition's environment, its
    secrets resolved from Secrets Manager, the RunTask's command override; as a process."""
    container = next(c for c in task_definition["containerDefinitions"] if c["name"] == RUN_CONTAINER)
    secrets = boto3.session.Session(region_name=REGION).client("secretsmanager")
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env.update({item["name"]: item["value"] for item in container["environment"]})
    env.update(
        {
            item["name"]: secrets.get_secret_value(SecretId=item["valueFrom"])["SecretString"]
            for item in container["secrets"]
        }
    )
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
    )
    (command,) = [o["command"] for o in task["overrides"]["containerOverrides"] if o["name"] == RUN_CONTAINER]
    # The image's PATH holds the venv's `dagster`; here it is next to the test's Python.
    executable = str(Path(sys.executable).parent / command[0])
    return subprocess.run([executable, *command[1:]], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def _launch(instance: dg.DagsterInstance) -> tuple[str, list[bytes], list[str]]:
    """Create the day's ``spotify_tables`` run from the code location and launch it, as the
    daemon does for a dequeued run; returns the run id, the RunTask request bodies and the
    Secrets Manager operations the launcher called."""
    origin = LoadableTargetOrigin(
        executable_path=sys.executable, module_name="spotify_assets.definitions", working_directory=str(REPO)
    )
    requests: list[bytes] = []
    secrets_calls: list[str] = []
    launcher = instance.run_launcher
    launcher.ecs.meta.events.register(
        "before-send.ecs.RunTask", lambda request, **_: requests.append(bytes(request.body))
    )
    launcher.secrets_manager.meta.events.register(
        "before-send.secrets-manager",
        lambda request, **_: secrets_calls.append(request.headers["X-Amz-Target"].decode()),
    )
    with in_process_test_workspace(instance, origin, container_image=IMAGE) as workspace:
        location = workspace.get_code_location(workspace.code_location_names[0])
        repository = next(iter(location.get_repositories().values()))
        remote_job = repository.get_full_job("__ASSET_JOB")
        from spotify_assets.definitions import defs  # the same definitions, loaded in-process

        keys = {dg.AssetKey(name) for name in SPOTIFY_TABLE_NAMES}
        job_def = defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection=keys)
        run = instance.create_run_for_job(
            job_def=job_def,
            asset_selection=keys,
            tags={"dagster/partition": DAY},
            remote_job_origin=remote_job.get_remote_origin(),
            job_code_origin=remote_job.get_python_origin(),
        )
        instance.launch_run(run.run_id, workspace)
    return run.run_id, requests, secrets_calls


def _log_objects() -> dict[str, bytes]:
    s3 = boto3.session.Session(region_name=REGION).client("s3")
    listed = s3.list_objects_v2(Bucket=LOG_BUCKET, Prefix=f"{LOG_PREFIX}/").get("Contents", [])
    return {item["Key"]: s3.get_object(Bucket=LOG_BUCKET, Key=item["Key"])["Body"].read() for item in listed}


@pytest.fixture(scope="module")
def launched(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launched]:
    tmp = tmp_path_factory.mktemp("ecs")
    lake = tmp / "lake"
    playlist = load_sample_playlist()
    Lake(str(lake)).write_bytes(raw_key(DAY, playlist["id"]), json.dumps(playlist).encode())
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY_YAML, home / "dagster.yaml")
    with postgres_server(fsync=False) as server, clean_project_env() as env:
        reset_moto(moto_server)
        # Both AWS_REGION and AWS_DEFAULT_REGION, as ECS sets them inside every Fargate task:
        # dagster-aws's boto3 clients take no region but the environment's.
        point_aws_at(env, moto_server)
        pg_env = {
            **server.dagster_env(server.create_database("ecs_launch")),
            "DAGSTER_PG_PASSWORD": SECRETS["DAGSTER_PG_PASSWORD"],
        }
        arns, network, cluster_arn, daemon_task_arn, run_definition_arn = _stack(pg_env, lake)
        # The webserver and daemon containers' environment (the stack's, without the Spotify
        # secrets): the run task definition by its ARN (the run task's own names the family).
        for name, value in {
            **pg_env,
            "DAGSTER_RUN_TASK_DEFINITION": run_definition_arn,
            "DAGSTER_RUN_CONTAINER_NAME": RUN_CONTAINER,
            "DAGSTER_COMPUTE_LOG_BUCKET": LOG_BUCKET,
            "DAGSTER_COMPUTE_LOG_PREFIX": LOG_PREFIX,
        }.items():
            env.setenv(name, value)
        metadata = _metadata_server(cluster_arn, daemon_task_arn)
        env.setenv("ECS_CONTAINER_METADATA_URI_V4", f"http://127.0.0.1:{metadata.server_port}")
        try:
            with dg.DagsterInstance.from_config(str(home)) as instance:
                run_id, requests, secrets_calls = _launch(instance)
                ecs = boto3.session.Session(region_name=REGION).client("ecs")
                revisions = ecs.list_task_definitions(familyPrefix=RUN_FAMILY)["taskDefinitionArns"]
                run_tags = instance.get_run_by_id(run_id).tags
                (task,) = ecs.describe_tasks(cluster=CLUSTER, tasks=[run_tags["ecs/task_arn"]], include=["TAGS"])[
                    "tasks"
                ]
                task_definition = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])[
                    "taskDefinition"
                ]
                executed = _play_run_task(task, task_definition, moto_server)
                yield Launched(
                    run_id=run_id,
                    run_task_definition_arn=run_definition_arn,
                    run_task_definitions=revisions,
                    daemon_network=network,
                    secret_arns=arns,
                    run_task_requests=requests,
                    secrets_manager_calls=secrets_calls,
                    task=task,
                    task_definition=task_definition,
                    run_tags=dict(run_tags),
                    executed=executed,
                    run_status=instance.get_run_by_id(run_id).status,
                    log_objects=_log_objects(),
                    lake=lake,
                )
        finally:
            metadata.shutdown()
            metadata.server_close()


def test_deploy_yaml_takes_the_run_task_and_the_log_bucket_from_the_environment():
    config = yaml.safe_load(DEPLOY_YAML.read_text())
    assert config["run_launcher"] == {
        "module": "dagster_aws.ecs",
        "class": "EcsRunLauncher",
        "config": {
            "task_definition": {"env": "DAGSTER_RUN_TASK_DEFINITION"},
            "container_name": {"env": "DAGSTER_RUN_CONTAINER_NAME"},
            "use_current_ecs_task_config": True,
            "secrets_tag": None,
        },
    }
    logs = config["compute_logs"]
    assert (logs["module"], logs["class"]) == ("dagster_aws.s3.compute_log_manager", "S3ComputeLogManager")
    assert (logs["config"]["bucket"], logs["config"]["prefix"]) == (
        {"env": "DAGSTER_COMPUTE_LOG_BUCKET"},
        {"env": "DAGSTER_COMPUTE_LOG_PREFIX"},
    )
    assert "endpoint_url" not in logs["config"] and "region" not in logs["config"]  # boto3's own lookup


def test_launch_runs_one_task_of_the_run_task_definition_with_the_runs_command(launched):
    task = launched.task
    # The stack's task definition, used as it is: no revision registered by the launcher.
    assert task["taskDefinitionArn"] == launched.run_task_definition_arn
    assert launched.run_task_definitions == [launched.run_task_definition_arn]
    assert task["clusterArn"].endswith(f":cluster/{CLUSTER}") and task["launchType"] == "FARGATE"
    assert task["tags"] == [
        {"key": "dagster/run_id", "value": launched.run_id},
        {"key": "dagster/job_name", "value": "__ASSET_JOB"},
    ]
    (override,) = task["overrides"]["containerOverrides"]
    assert override["name"] == RUN_CONTAINER and set(override) == {"name", "command"}
    command = override["command"]
    assert command[:3] == ["dagster", "api", "execute_run"] and len(command) == 4
    args = json.loads(command[3])
    assert args["pipeline_run_id"] == launched.run_id
    assert args["pipeline_origin"]["pipeline_name"] == "__ASSET_JOB"
    assert args["pipeline_origin"]["repository_origin"]["code_pointer"]["module"] == "spotify_assets.definitions"
    # One RunTask, in the launching (daemon) task's cluster, subnets and security groups.
    (request,) = [json.loads(body) for body in launched.run_task_requests]
    assert request["cluster"] == task["clusterArn"] and request["taskDefinition"] == launched.run_task_definition_arn
    assert request["networkConfiguration"] == {"awsvpcConfiguration": launched.daemon_network}
    # The run records its task, where run monitoring and termination find it.
    assert launched.run_tags["ecs/task_arn"] == task["taskArn"]
    assert launched.run_tags["ecs/cluster"] == task["clusterArn"]


def test_no_secret_value_leaves_secrets_manager_but_for_the_run_task(launched):
    container = next(c for c in launched.task_definition["containerDefinitions"] if c["name"] == RUN_CONTAINER)
    # ECS resolves them when the task starts: the task definition holds ARNs only.
    assert {s["name"]: s["valueFrom"] for s in container["secrets"]} == launched.secret_arns
    assert not set(SECRETS) & {item["name"] for item in container["environment"]}
    recorded = [
        *launched.run_task_requests,
        json.dumps(launched.task).encode(),
        json.dumps(container).encode(),
        *launched.log_objects.values(),
    ]
    assert len(launched.run_task_requests) == 1 and launched.log_objects  # something to search
    for name, value in SECRETS.items():
        assert not [body for body in recorded if value.encode() in body], f"{name}'s value left Secrets Manager"
    # secrets_tag: null: the launcher never lists the account's secrets.
    assert launched.secrets_manager_calls == []


def test_the_run_tasks_step_logs_land_under_the_compute_log_prefix(launched):
    assert launched.executed.returncode == 0, launched.executed.stderr[-3000:]
    assert launched.run_status == dg.DagsterRunStatus.SUCCESS
    assert all((launched.lake / table_key(table, DAY)).is_file() for table in SPOTIFY_TABLE_NAMES)
    run_prefix = f"{LOG_PREFIX}/storage/{launched.run_id}/compute_logs/"
    assert launched.log_objects and all(key.startswith(run_prefix) for key in launched.log_objects), list(
        launched.log_objects
    )
    # The step's stderr: the asset's own log line and Dagster's step events (stdout was empty: skipped).
    (err,) = [body.decode() for key, body in launched.log_objects.items() if key.endswith(".err")]
    assert "1 raw object(s) over 1 partition(s) → " in err
    assert 'STEP_SUCCESS - Finished execution of step "spotify_tables"' in err


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "DAGSTER_RUN_CONTAINER_NAME",
            "dagster",
            f"Cannot override container 'dagster' in task definition 'arn:aws:ecs:{REGION}:123456789012:task-definition/{RUN_FAMILY}:1' "
            "because the container is not defined.",
        ),
        # ECS's own answer, which does not name the definition (the README's Failure modes say where to look).
        (
            "DAGSTER_RUN_TASK_DEFINITION",
            "spotify-assets-missing",
            "(ClientException) when calling the DescribeTaskDefinition operation: Unable to describe task definition.",
        ),
    ],
)
def test_a_wrong_run_task_setting_stops_the_launcher(
    launched, moto_server, tmp_path, monkeypatch, variable, value, message
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)  # the autouse fixture of fixtures/lake.py unsets it
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY_YAML, home / "dagster.yaml")
    monkeypatch.setenv(variable, value)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        with pytest.raises(Exception, match=re.escape(message)):
            instance.run_launcher  # noqa: B018 (built on first use, as the daemon does)
