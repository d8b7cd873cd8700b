"""The README's "Deploying on AWS" stays true: every file of the repository it names exists
and loads as what it is (the template, the Dagster instance and workspace, the Dockerfile)."""

import re
from pathlib import Path

import yaml
from dockerfile_parse import DockerfileParser

from spotify_assets_tests.support.cloudformation import load_template

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
SECTION = README[README.index("## Deploying on AWS") : README.index("## Environment variables")]


def test_every_file_the_walkthrough_names_exists_and_loads():
    named = set(re.findall(r"\b(deploy/[\w./-]*\w|requirements[\w.-]*\.lock)\b", SECTION))
    assert {"deploy/Dockerfile", "deploy/cloudformation.yaml", "deploy/dagster.yaml", "deploy/workspace.yaml"} <= named
    for path in sorted(named):
        assert (REPO / path).is_file(), f"the README names {path}, which does not exist"
    template = load_template()
    assert {"LakeBucket", "Cluster", "Database", "AlertTopic"} <= set(template["Resources"])
    workspace = yaml.safe_load((REPO / "deploy" / "workspace.yaml").read_text())
    assert workspace["load_from"][0]["grpc_server"]["location_name"] == "spotify_assets"
    instance = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())
    assert instance["storage"]["postgres"]["postgres_db"]["password"] == {"env": "DAGSTER_PG_PASSWORD"}
    assert any(i["instruction"] == "CMD" for i in DockerfileParser(path=str(REPO / "deploy" / "Dockerfile")).structure)


def test_the_walkthroughs_commands_name_the_stack_and_the_secrets_the_template_declares():
    template = load_template()
    commands = "\n".join(re.findall(r"```bash\n(.*?)```", SECTION, flags=re.DOTALL))
    assert "aws cloudformation deploy" in commands and "--template-file deploy/cloudformation.yaml" in commands
    required = {name for name, p in template["Parameters"].items() if "Default" not in p}
    overridden = set(re.findall(r"^\s+(\w+)=", commands, flags=re.MULTILINE))
    assert required <= overridden, f"the deploy command lacks {sorted(required - overridden)}"
    for suffix in ("spotify-client-id", "spotify-client-secret", "spotify-refresh-token"):
        assert f"--secret-id spotify-assets/{suffix}" in commands
    secret_names = {
        str(r["Properties"].get("Name"))
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SecretsManager::Secret"
    }
    assert any("spotify-client-secret" in name for name in secret_names), secret_names
