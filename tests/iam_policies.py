"""Every IAM identity policy the project makes, as plain documents with literal ARNs.

Two sources: the synthesized ``cdk.tf.json`` of the stacks (inline role policies and
managed policies, Terraform references resolved to the ARNs they stand for) and the
``constructs.ci_policies`` builders called with a literal ``Scope``. The policy tests
(``tests/unit/test_policy_resources.py``, ``test_policy_lint.py``) check them all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tests.synth import Synth

ACCOUNT = "123456789012"
PARTITION = "aws"
# Terraform resource types whose ``.arn`` a policy may reference, and how it reads.
ARN_OF: dict[str, str] = {
    "aws_ecr_repository": "arn:{partition}:ecr:{region}:{account}:repository/{name}",
    "aws_cloudwatch_log_group": "arn:{partition}:logs:{region}:{account}:log-group:{name}",
    "aws_iam_policy": "arn:{partition}:iam::{account}:policy{path}{name}",
}
_REFERENCE = re.compile(r"\$\{([^}]+)\}")
# The resource types that hold an identity policy, and its attribute.
POLICY_HOLDERS = (("aws_iam_role_policy", "policy"), ("aws_iam_policy", "policy"))


def resolve(text: str, stack: dict[str, Any]) -> str:
    """``text`` with each Terraform reference replaced by the value it stands for.

    An unknown reference raises, so a policy is never checked half-resolved."""
    region = stack["provider"]["aws"][0]["region"]

    def value(match: re.Match[str]) -> str:
        ref = match[1]
        parts = ref.split(".")
        if parts[0] == "data" and parts[1] == "aws_partition" and parts[3] == "partition":
            return PARTITION
        if parts[0] == "data" and parts[1] == "aws_caller_identity" and parts[3] == "account_id":
            return ACCOUNT
        if len(parts) == 3 and parts[0] in ARN_OF and parts[2] == "arn":
            resource = stack["resource"][parts[0]][parts[1]]
            return ARN_OF[parts[0]].format(
                partition=PARTITION,
                region=region,
                account=ACCOUNT,
                name=resolve(resource["name"], stack),
                path=resource.get("path", "/"),
            )
        raise AssertionError(f"cannot resolve ${{{ref}}} in a policy")

    return _REFERENCE.sub(value, text)


def synthesized_policies(runs: Mapping[str, Synth]) -> dict[str, dict[str, Any]]:
    """``<run> <construct path>`` -> the identity policy document, for every run by label."""
    found: dict[str, dict[str, Any]] = {}
    for label, run in runs.items():
        for name in run.stacks:
            stack = run.json(name)
            for tf_type, attribute in POLICY_HOLDERS:
                for block in stack.get("resource", {}).get(tf_type, {}).values():
                    path = block["//"]["metadata"]["path"]
                    found[f"{label} {path}"] = json.loads(resolve(block[attribute], stack))
    return found


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return list(policy["Statement"])


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
