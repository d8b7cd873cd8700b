"""The deployment's CloudFormation template, ``deploy/cloudformation.yaml``, read and made
on moto's server, for the tests in ``test_deploy/``.

moto 5.2's CloudFormation makes only some resource types (:data:`MOTO_TYPES`). The test
stack is the real template with its real resource definitions, reduced to those types;
the resources of a few other types are made beforehand through their own APIs (moto's
Secrets Manager, Glue, Athena, Cloud Map) from their definitions in the template
(:data:`API_MADE`), and the stack gets their names and ARNs as parameters where the
template has ``Ref``/``Fn::GetAtt``. The bucket policy is put once the bucket exists.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import boto3
from cfnlint.decode import cfn_yaml

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO / "deploy" / "cloudformation.yaml"
ACCOUNT_ID = "123456789012"  # moto's default account

# Types moto's CloudFormation makes (moto/cloudformation/parsing.py imports their models).
MOTO_TYPES = {
    "AWS::S3::Bucket",
    "AWS::IAM::Role",
    "AWS::ECS::Cluster",
    "AWS::ECS::TaskDefinition",
    "AWS::ECS::Service",
    "AWS::Logs::LogGroup",
    "AWS::SNS::Topic",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBSubnetGroup",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::ElasticLoadBalancingV2::Listener",
}
# Made through their own APIs before the stack (see make_with_apis).
API_MADE = {
    "AWS::SecretsManager::Secret",
    "AWS::Glue::Database",
    "AWS::Athena::WorkGroup",
    "AWS::ServiceDiscovery::PrivateDnsNamespace",
    "AWS::ServiceDiscovery::Service",
}
# Put after the stack (put_bucket_policy), or not made: a secret attachment only adds the
# database's host and port to its secret; the crawler exists only in crawler mode.
AFTER_STACK = {"AWS::S3::BucketPolicy"}
NOT_MADE = {"AWS::SecretsManager::SecretTargetAttachment", "AWS::Glue::Crawler"}


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as plain dicts and lists, intrinsic functions in their long form
    (``{"Ref": ...}``, ``{"Fn::Sub": ...}``), read with cfn-lint's YAML decoder."""
    return json.loads(json.dumps(cfn_yaml.load(str(path))))


def parameter_values(template: dict[str, Any], given: dict[str, str], region: str) -> dict[str, Any]:
    """Every parameter's value (``given``, else the template's default) and the pseudo parameters."""
    values: dict[str, Any] = {
        name: spec["Default"] for name, spec in template["Parameters"].items() if "Default" in spec
    }
    values.update(given)
    values.update({"AWS::Region": region, "AWS::AccountId": ACCOUNT_ID, "AWS::Partition": "aws", "AWS::NoValue": None})
    return values


def resolve(value: Any, names: dict[str, Any]) -> Any:
    """``value`` with ``Ref``, ``Fn::GetAtt`` and ``Fn::Sub`` replaced from ``names``
    (parameters, pseudo parameters, ``"Resource"`` and ``"Resource.Attribute"``)."""
    if isinstance(value, list):
        return [resolve(item, names) for item in value]
    if not isinstance(value, dict):
        return value
    if "Ref" in value:
        return names[value["Ref"]]
    if "Fn::GetAtt" in value:
        return names[".".join(value["Fn::GetAtt"])]
    if "Fn::Sub" in value:
        return re.sub(r"\$\{([\w:.]+)\}", lambda match: str(names[match[1]]), value["Fn::Sub"])
    return {key: resolve(item, names) for key, item in value.items()}


def _secret(client, props: dict[str, Any]) -> dict[str, str]:
    secret_string = props.get("SecretString")
    generate = props.get("GenerateSecretString")
    if generate:  # what CloudFormation does: the template's JSON plus a generated key
        password = client.get_random_password(
            PasswordLength=generate["PasswordLength"], ExcludeCharacters=generate["ExcludeCharacters"]
        )
        secret_string = json.dumps(
            {**json.loads(generate["SecretStringTemplate"]), generate["GenerateStringKey"]: password["RandomPassword"]}
        )
    arn = client.create_secret(Name=props["Name"], Description=props["Description"], SecretString=secret_string)["ARN"]
    return {"": arn}


def make_with_apis(template: dict[str, Any], names: dict[str, Any], region: str) -> dict[str, dict[str, str]]:
    """Make the template's :data:`API_MADE` resources on moto through their APIs, from their
    properties; returns ``{logical id: {"": Ref value, attribute: value}}``."""
    session = boto3.session.Session(region_name=region)
    made: dict[str, dict[str, str]] = {}
    names = dict(names)
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::S3::Bucket":  # named by a parameter: known before the stack
            names[logical_id] = resolve(resource["Properties"]["BucketName"], names)
            names[f"{logical_id}.Arn"] = f"arn:aws:s3:::{names[logical_id]}"
    for logical_id, resource in template["Resources"].items():
        kind = resource["Type"]
        if kind not in API_MADE:
            continue
        props = resolve(resource.get("Properties", {}), {**names, **{k: v[""] for k, v in made.items()}})
        if kind == "AWS::SecretsManager::Secret":
            made[logical_id] = _secret(session.client("secretsmanager"), props)
        elif kind == "AWS::Glue::Database":
            session.client("glue").create_database(CatalogId=props["CatalogId"], DatabaseInput=props["DatabaseInput"])
            made[logical_id] = {"": props["DatabaseInput"]["Name"]}
        elif kind == "AWS::Athena::WorkGroup":
            session.client("athena").create_work_group(
                Name=props["Name"], Description=props["Description"], Configuration=props["WorkGroupConfiguration"]
            )
            made[logical_id] = {"": props["Name"]}
        elif kind == "AWS::ServiceDiscovery::PrivateDnsNamespace":
            client = session.client("servicediscovery")
            client.create_private_dns_namespace(Name=props["Name"], Vpc=props["Vpc"])
            namespace = next(n for n in client.list_namespaces()["Namespaces"] if n["Name"] == props["Name"])
            made[logical_id] = {"": namespace["Id"], "Arn": namespace["Arn"]}
        else:  # AWS::ServiceDiscovery::Service
            service = session.client("servicediscovery").create_service(**props)["Service"]
            made[logical_id] = {"": service["Id"], "Arn": service["Arn"]}
    return made


def _parameter_name(logical_id: str, attribute: str = "") -> str:
    return f"{logical_id}{attribute}"


def reduce_template(template: dict[str, Any], made: dict[str, dict[str, str]]) -> tuple[dict[str, Any], dict[str, str]]:
    """The stack moto can make: the :data:`MOTO_TYPES` resources of ``template`` unchanged
    but for references to ``made`` resources, which become parameters. Returns the
    template and those parameters' values. Raises ``AssertionError`` when a resource of
    another type is left, or a kept resource refers to one not made."""
    kinds = {resource["Type"] for resource in template["Resources"].values()}
    assert kinds <= MOTO_TYPES | API_MADE | AFTER_STACK | NOT_MADE, (
        f"types neither made by moto nor by the test: {kinds - MOTO_TYPES - API_MADE - AFTER_STACK - NOT_MADE}"
    )
    reduced = copy.deepcopy(template)
    reduced["Resources"] = {k: v for k, v in reduced["Resources"].items() if v["Type"] in MOTO_TYPES}
    values: dict[str, str] = {}

    def rewrite(value: Any) -> Any:
        if isinstance(value, list):
            return [rewrite(item) for item in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value and value["Ref"] in made:
            values[value["Ref"]] = made[value["Ref"]][""]
            return value
        if "Fn::GetAtt" in value and value["Fn::GetAtt"][0] in made:
            logical_id, attribute = value["Fn::GetAtt"]
            values[_parameter_name(logical_id, attribute)] = made[logical_id][attribute]
            return {"Ref": _parameter_name(logical_id, attribute)}
        if "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):

            def sub(match: re.Match) -> str:
                logical_id, _, attribute = match[1].partition(".")
                if logical_id not in made:
                    return match[0]
                values[_parameter_name(logical_id, attribute)] = made[logical_id][attribute or ""]
                return "${" + _parameter_name(logical_id, attribute) + "}"

            return {"Fn::Sub": re.sub(r"\$\{([\w:.]+)\}", sub, value["Fn::Sub"])}
        return {key: rewrite(item) for key, item in value.items()}

    reduced["Resources"] = rewrite(reduced["Resources"])
    reduced["Outputs"] = rewrite(reduced["Outputs"])
    kept = set(reduced["Resources"])
    for resource in reduced["Resources"].values():
        refs = set(re.findall(r'"Ref": "(\w+)"|"Fn::GetAtt": \["(\w+)"', json.dumps(resource)))
        for name in {a or b for a, b in refs}:
            assert name in kept or name in reduced["Parameters"] or name in values or name.startswith("AWS"), (
                f"{name} is referred to but not made"
            )
        if "DependsOn" in resource:
            depends = resource["DependsOn"] if isinstance(resource["DependsOn"], list) else [resource["DependsOn"]]
            resource["DependsOn"] = [d for d in depends if d in kept]
    for name in values:
        reduced["Parameters"][name] = {"Type": "String"}
    return reduced, values
