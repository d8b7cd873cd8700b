"""``deploy/cloudformation.yaml``: what every container is given (read from the template),
and the stack made on moto's CloudFormation from the template's own resource definitions
(see ``cloudformation.py`` for the types moto makes and the ones made through their APIs),
with the pipeline then run against the stack's bucket in the environment the template gives
the code server.
"""

from __future__ import annotations

import ast
import io
import json
import re

import boto3
import dagster as dg
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from spotify_assets.assets.catalog import build_catalog_asset
from spotify_assets.assets.raw import raw_playlist
from spotify_assets.assets.spotify_tables import spotify_tables
from spotify_assets.definitions import build_resources
from spotify_assets.lake.lake import Lake
from spotify_assets.lake.layout import raw_key, table_key
from spotify_assets.settings import ENV_VARS, Settings
from spotify_assets.spotify.offline_sample import load_sample_playlist
from spotify_assets.vocabulary import SPOTIFY_TABLE_NAMES
from spotify_assets_tests.support.cloudformation import (
    REPO,
    load_template,
    make_with_apis,
    parameter_values,
    reduce_template,
    resolve,
)
from spotify_assets_tests.support.expected import expected_entries, expected_songs
from spotify_assets_tests.support.fixtures.moto import REGION, point_aws_at, reset_moto

STACK = "spotify-assets"
BUCKET = "spotify-lake-stack"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/spotify-assets:test"
DAY = "2026-11-20"
COMMANDS = {  # ECS service -> the container's command (one image, three commands)
    "code-server": [
        "dagster",
        "code-server",
        "start",
        "-m",
        "spotify_assets.definitions",
        "-h",
        "0.0.0.0",
        "-p",
        "4000",
    ],
    "webserver": ["dagster-webserver", "-h", "0.0.0.0", "-p", "3000", "-w", "/opt/dagster/home/workspace.yaml"],
    "daemon": ["dagster-daemon", "run", "-w", "/opt/dagster/home/workspace.yaml"],
}
SPOTIFY_SECRETS = {"SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "SPOTIFY_REFRESH_TOKEN"}
SECRETS = SPOTIFY_SECRETS | {"DAGSTER_PG_PASSWORD"}
# What every container gets (README "Deploying on AWS"); the crawler's two only in crawler mode.
PROJECT_ENVIRONMENT = {
    "SPOTIFY_ASSETS_ENV",
    "SPOTIFY_LAKE_URL",
    "SPOTIFY_PLAYLIST_IDS",
    "GLUE_CATALOG_MODE",
    "GLUE_DATABASE",
    "ATHENA_WORKGROUP",
    "ATHENA_OUTPUT_URL",
    "AWS_REGION",
    "DAGSTER_PG_HOST",
    "DAGSTER_PG_PORT",
    "DAGSTER_PG_USERNAME",
    "DAGSTER_PG_DB",
    "DAGSTER_EVENT_BATCH_SIZE",
}


def _containers(template: dict) -> dict[str, dict]:
    """``{task definition logical id: its one container definition}`` as written in the template."""
    return {
        logical_id: resource["Properties"]["ContainerDefinitions"][0]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::ECS::TaskDefinition"
    }


def _env_names(entries: list) -> set[str]:
    # An entry may be {"Fn::If": [condition, {Name, Value}, NoValue]}: both branches count.
    names = set()
    for entry in entries:
        for candidate in entry["Fn::If"][1:] if "Fn::If" in entry else [entry]:
            if isinstance(candidate, dict) and "Name" in candidate:
                names.add(candidate["Name"])
    return names


def test_template_parses_and_every_container_variable_is_one_the_project_knows():
    template = load_template()
    containers = _containers(template)
    assert sorted(c["Name"] for c in containers.values()) == ["code-server", "daemon", "run", "webserver"]
    for logical_id, container in containers.items():
        environment = _env_names(container["Environment"])
        secrets = _env_names(container["Secrets"])
        for name in environment | secrets:
            assert name in ENV_VARS or name.startswith(("DAGSTER_", "AWS_")), (
                f"{logical_id}: {name} is no setting of the project"
            )
        assert PROJECT_ENVIRONMENT <= environment, f"{logical_id} lacks {PROJECT_ENVIRONMENT - environment}"
        assert not environment & SECRETS, f"{logical_id} passes a secret as plain environment: {environment & SECRETS}"
        assert "DAGSTER_PG_PASSWORD" in secrets
        # Only the processes that load the code location (and so build the Spotify resource) get Spotify's.
        assert (SPOTIFY_SECRETS <= secrets) == (container["Name"] in ("code-server", "run")), logical_id
        assert container["Image"] == {"Ref": "ImageUri"}
        assert container["LogConfiguration"]["LogDriver"] == "awslogs"
    # The database password: generated into Secrets Manager, resolved at creation, no parameter.
    database = template["Resources"]["Database"]["Properties"]
    assert database["MasterUserPassword"] == {
        "Fn::Sub": "{{resolve:secretsmanager:${DatabaseSecret}:SecretString:password}}"
    }
    assert "GenerateSecretString" in template["Resources"]["DatabaseSecret"]["Properties"]
    assert not [name for name in template["Parameters"] if re.search("password|secret|token", name, re.I)]
    # What moto's CloudFormation does not apply to a bucket (only encryption and tags): read here.
    bucket = template["Resources"]["LakeBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"], True
    )
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}


def test_crawler_mode_gives_the_crawler_settings_and_register_mode_none():
    template = load_template()
    code_server = _containers(template)["CodeServerTaskDefinition"]
    names = parameter_values(template, {"GlueCatalogMode": "crawler"}, REGION)
    crawler_env = [e["Fn::If"][1] for e in code_server["Environment"] if "Fn::If" in e]
    assert [e["Fn::If"][0] for e in code_server["Environment"] if "Fn::If" in e] == ["UseCrawler", "UseCrawler"]
    assert {e["Name"]: resolve(e["Value"], {**names, "GlueCrawlerRole.Arn": "role"}) for e in crawler_env} == {
        "GLUE_CRAWLER_NAME": "spotify_assets_crawler",
        "GLUE_CRAWLER_ROLE_ARN": "role",
    }
    assert template["Conditions"]["UseCrawler"] == {"Fn::Equals": [{"Ref": "GlueCatalogMode"}, "crawler"]}
    assert {template["Resources"][r].get("Condition") for r in ("GlueCrawler", "GlueCrawlerRole")} == {"UseCrawler"}


# ---------------------------------------------------------------------------- on moto


@pytest.fixture(scope="module")
def made_stack(moto_server):
    """The stack made once per module on moto (register mode, moto's default VPC); yields
    ``(outputs, made)``: the stack's outputs and the resources made through their APIs."""
    with pytest.MonkeyPatch.context() as patch:
        reset_moto(moto_server)
        point_aws_at(patch, moto_server)
        session = boto3.session.Session(region_name=REGION)
        ec2 = session.client("ec2")
        vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnets = sorted(
            s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
        )[:2]
        given = {"LakeBucketName": BUCKET, "VpcId": vpc, "SubnetIds": ",".join(subnets), "ImageUri": IMAGE}

        template = load_template()
        names = {**parameter_values(template, given, REGION), "SubnetIds": subnets}
        made = make_with_apis(template, names, REGION)
        reduced, made_values = reduce_template(template, made)
        cloudformation = session.client("cloudformation")
        cloudformation.create_stack(
            StackName=STACK,
            TemplateBody=json.dumps(reduced),
            Capabilities=["CAPABILITY_IAM"],
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in {**given, **made_values}.items()],
        )
        described = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
        assert described["StackStatus"] == "CREATE_COMPLETE", described.get("StackStatusReason")
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
        yield outputs, made


@pytest.fixture
def stack(made_stack, moto_server, monkeypatch):
    """``made_stack``, with boto3 pointed at moto again (each test starts without AWS_ENDPOINT_URL)."""
    point_aws_at(monkeypatch, moto_server)
    return made_stack


def _environment(container: dict) -> dict[str, str]:
    # moto leaves an Fn::If that chose AWS::NoValue as null in the list; CloudFormation drops it.
    return {e["name"]: e["value"] for e in container["environment"] if e is not None}


def _task_definitions(cluster: str) -> dict[str, dict]:
    """``{service name: its task definition}`` as moto's ECS describes them."""
    ecs = boto3.session.Session(region_name=REGION).client("ecs")
    services = ecs.describe_services(cluster=cluster, services=list(COMMANDS))["services"]
    return {
        s["serviceName"]: ecs.describe_task_definition(taskDefinition=s["taskDefinition"])["taskDefinition"]
        for s in services
    }


def test_the_stack_makes_an_encrypted_bucket_reachable_over_tls_only(stack):
    outputs, _ = stack
    s3 = boto3.session.Session(region_name=REGION).client("s3")
    assert outputs["LakeBucketName"] == BUCKET and outputs["LakeUrl"] == f"s3://{BUCKET}/lake"
    rules = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    # The bucket policy (moto's CloudFormation makes none): put from the template's definition,
    # it refuses what moto's plain-HTTP endpoint is, a request without TLS.
    policy = load_template()["Resources"]["LakeBucketPolicy"]["Properties"]
    names = {"LakeBucket": BUCKET, "LakeBucket.Arn": f"arn:aws:s3:::{BUCKET}"}
    s3.put_bucket_policy(
        Bucket=resolve(policy["Bucket"], names), Policy=json.dumps(resolve(policy["PolicyDocument"], names))
    )
    try:
        with pytest.raises(ClientError, match=r"\(403\)|AccessDenied"):
            s3.put_object(Bucket=BUCKET, Key="lake/probe.json", Body=b"{}")
    finally:
        s3.delete_bucket_policy(Bucket=BUCKET)  # the other tests reach moto over plain HTTP
    s3.put_object(Bucket=BUCKET, Key="lake/probe.json", Body=b"{}")
    s3.delete_object(Bucket=BUCKET, Key="lake/probe.json")


def test_three_services_one_image_three_commands_secrets_from_secrets_manager(stack):
    outputs, made = stack
    secrets = boto3.session.Session(region_name=REGION).client("secretsmanager")
    definitions = _task_definitions(outputs["ClusterName"])
    assert set(definitions) == set(COMMANDS)
    run = (
        boto3.session.Session(region_name=REGION)
        .client("ecs")
        .describe_task_definition(taskDefinition=outputs["RunTaskDefinitionArn"])["taskDefinition"]
    )
    definitions["run"] = run
    for service, definition in definitions.items():
        (container,) = definition["containerDefinitions"]
        assert container["image"] == IMAGE
        assert container.get("command") == COMMANDS.get(service), service  # the run's command comes from the launcher
        environment = _environment(container)
        secret_refs = {s["name"]: s["valueFrom"] for s in container["secrets"]}
        assert not set(environment) & SECRETS, service
        assert secret_refs["DAGSTER_PG_PASSWORD"] == f"{made['DatabaseSecret']['']}:password::"
        for name in SPOTIFY_SECRETS & set(secret_refs):
            value = secrets.get_secret_value(SecretId=secret_refs[name])["SecretString"]
            assert value == "replace-me" and value not in environment.values()
        assert environment["SPOTIFY_LAKE_URL"] == outputs["LakeUrl"]
        assert environment["ATHENA_OUTPUT_URL"] == outputs["AthenaOutputUrl"]
        assert environment["GLUE_DATABASE"] == outputs["GlueDatabaseName"] == "spotify_assets"
        assert (
            environment["DAGSTER_PG_HOST"] == outputs["DatabaseEndpoint"] and environment["DAGSTER_PG_PORT"] == "5432"
        )
        assert "GLUE_CRAWLER_NAME" not in environment  # register mode
        assert (
            container["logConfiguration"]["options"]["awslogs-group"]
            == f"/{STACK}/{'runs' if service == 'run' else service}"
        )
    assert set(s["name"] for s in definitions["code-server"]["containerDefinitions"][0]["secrets"]) == SECRETS
    assert set(s["name"] for s in definitions["daemon"]["containerDefinitions"][0]["secrets"]) == {
        "DAGSTER_PG_PASSWORD"
    }


def _readme_policy() -> list[dict]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"\*\*IAM policy\*\*.*?```json\n(.*?)```", text, re.S)[1]
    return json.loads(block)["Statement"]


def _as_set(value) -> set[str]:
    return {value} if isinstance(value, str) else set(value)


def test_the_task_role_is_the_readmes_policy_on_the_stacks_names(stack):
    outputs, _ = stack
    iam = boto3.session.Session(region_name=REGION).client("iam")
    role_name = outputs["PipelineTaskRoleArn"].rsplit("/", 1)[1]
    (policy_name,) = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    if isinstance(document, str):
        # moto 5.2 keeps a policy that CloudFormation gave it as a dict as that dict's repr.
        document = ast.literal_eval(document)
    # ... and an Fn::If that chose AWS::NoValue as None (the crawler's statements).
    statements = {s["Sid"]: s for s in document["Statement"] if s is not None}

    def ours(value: str) -> str:  # the README's example names → the stack's
        return (
            value.replace("my-bucket", BUCKET)
            .replace("eu-west-1", REGION)
            .replace("workgroup/primary", "workgroup/spotify_assets")
        )

    readme = {
        s["Sid"]: s for s in _readme_policy() if s["Sid"] not in ("Crawler", "PassCrawlerRole")
    }  # crawler mode only
    # The template's additions: the Dagster step logs and the alerts.
    assert set(statements) == set(readme) | {"ComputeLogs", "Alerts"}
    for sid, expected in readme.items():
        actual = statements[sid]
        assert _as_set(actual["Action"]) == _as_set(expected["Action"]), sid
        assert _as_set(actual["Resource"]) == {ours(r) for r in _as_set(expected["Resource"])}, sid
        if "Condition" in expected:
            prefixes = _as_set(actual["Condition"]["StringLike"]["s3:prefix"])
            assert prefixes - set(expected["Condition"]["StringLike"]["s3:prefix"]) == {"dagster/compute-logs/*"}
    assert statements["Alerts"]["Resource"] == outputs["AlertTopicArn"]
    resources = [r for s in statements.values() for r in _as_set(s["Resource"])]
    assert not [r for r in resources if r == "*" or r.endswith(":*")], "a wildcard resource in the task role"


def test_log_groups_alert_topic_and_database(stack):
    outputs, _ = stack
    session = boto3.session.Session(region_name=REGION)
    groups = session.client("logs").describe_log_groups(logGroupNamePrefix=f"/{STACK}/")["logGroups"]
    assert {g["logGroupName"]: g.get("retentionInDays") for g in groups} == {
        f"/{STACK}/{name}": 30 for name in ("webserver", "daemon", "code-server", "runs")
    }
    topics = [t["TopicArn"] for t in session.client("sns").list_topics()["Topics"]]
    assert outputs["AlertTopicArn"] in topics and outputs["AlertTopicArn"].endswith(f":{STACK}-alerts")
    (database,) = session.client("rds").describe_db_instances()["DBInstances"]
    assert database["Engine"] == "postgres" and database["StorageEncrypted"] and not database["PubliclyAccessible"]
    assert database["Endpoint"]["Address"] == outputs["DatabaseEndpoint"] and database["DBName"] == "dagster"


def test_the_pipeline_runs_on_the_stacks_bucket_in_the_code_servers_environment(stack, monkeypatch):
    outputs, _ = stack
    (container,) = _task_definitions(outputs["ClusterName"])["code-server"]["containerDefinitions"]
    for name, value in _environment(container).items():  # the project's settings, as ECS would set them
        if not name.startswith("DAGSTER_"):
            monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert (settings.deployment, settings.lake_url) == ("aws", outputs["LakeUrl"])
    playlist = load_sample_playlist()
    Lake(settings.lake_url).write_bytes(raw_key(DAY, playlist["id"]), json.dumps(playlist).encode())

    catalog = build_catalog_asset("aws")
    result = dg.materialize(
        [raw_playlist, spotify_tables, catalog],
        selection=[spotify_tables, catalog],
        partition_key=DAY,
        resources=build_resources(settings),
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    s3 = boto3.session.Session(region_name=REGION).client("s3")

    def table(name: str):
        body = s3.get_object(Bucket=outputs["LakeBucketName"], Key=f"lake/{table_key(name, DAY)}")["Body"].read()
        return pq.read_table(io.BytesIO(body))

    items = playlist["items"]["items"]
    entries = table("playlist_entries")
    assert sorted(zip(entries["position"].to_pylist(), entries["song_id"].to_pylist())) == [
        (position, song_id) for _, position, song_id, _ in expected_entries(playlist["id"], items)
    ]
    assert sorted(table("songs")["song_id"].to_pylist()) == sorted(expected_songs(items))
    assert all(table(name).num_rows > 0 for name in SPOTIFY_TABLE_NAMES)
    # The catalog registered the day in the stack's Glue database (made from the template's definition).
    glue = boto3.session.Session(region_name=REGION).client("glue")
    partitions = glue.get_partitions(DatabaseName=outputs["GlueDatabaseName"], TableName="songs")["Partitions"]
    assert [p["Values"] for p in partitions] == [[DAY]]
