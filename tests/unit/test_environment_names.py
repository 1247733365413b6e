"""dev and prod can share one AWS account: no account-wide name is created by both.

Every literal AWS name (``name``, ``bucket``, ``family``, ...) of the default
synth (TARGET=aws, images built) is collected per environment; a name two
environments would both create is a collision that fails the second deploy
(or, worse, makes one environment manage the other's resource).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

# Attributes that hold an AWS name that must be unique in the account and region.
NAME_KEYS = ("name", "bucket", "family", "repository_name", "role_name", "alias", "cluster_name")
# Resources whose name is only unique inside a parent that already carries the
# environment (an ECS service in its cluster, an inline policy in its role, ...).
SCOPED_TYPES = {"aws_ecs_service", "aws_iam_role_policy", "aws_lb_listener"}


def account_names(stack: dict[str, Any]) -> set[tuple[str, str, str]]:
    """``(type, key, value)`` of every literal name in one synthesized stack.

    Values with a Terraform reference (``${...}``) are computed from other
    resources and not compared; generated names (``name_prefix``) cannot collide.
    """
    found = set()
    for tf_type, blocks in stack.get("resource", {}).items():
        if tf_type in SCOPED_TYPES:
            continue
        for block in blocks.values():
            for key in NAME_KEYS:
                value = block.get(key)
                if isinstance(value, str) and "${" not in value:
                    found.add((tf_type, key, value))
    return found


def collisions(names_by_env: dict[str, set[tuple[str, str, str]]]) -> dict[tuple, list[str]]:
    """Every name that more than one environment creates, with those environments."""
    owners: dict[tuple, list[str]] = defaultdict(list)
    for env, names in sorted(names_by_env.items()):
        for name in names:
            owners[name].append(env)
    return {name: envs for name, envs in owners.items() if len(envs) > 1}


def _names_by_env(synthed) -> dict[str, set[tuple[str, str, str]]]:
    by_env: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for stack in synthed.stacks:
        env = stack.split("-", 1)[0]
        by_env[env] |= account_names(synthed.json(stack))
    return by_env


def test_collisions_are_found_between_environments():
    # Guard: the finder reports a shared name and ignores per-environment ones.
    dev = {("aws_ecr_repository", "name", "shared"), ("aws_iam_role", "name", "dev-x")}
    prod = {("aws_ecr_repository", "name", "shared"), ("aws_iam_role", "name", "prod-x")}
    assert collisions({"dev": dev, "prod": prod}) == {
        ("aws_ecr_repository", "name", "shared"): ["dev", "prod"]
    }


def test_names_are_collected_from_the_synth(synthed):
    names = _names_by_env(synthed)
    assert set(names) == {"dev", "prod"}
    assert ("aws_iam_role", "name", "ecs-learn-dev-task-execution") in names["dev"]
    assert ("aws_ecs_task_definition", "family", "ecs-learn-prod-frontend") in names["prod"]


def test_no_aws_name_is_created_by_two_environments(synthed):
    # GIVEN dev and prod synthesized for one account WHEN both are deployed
    # THEN no resource name is claimed by both.
    assert collisions(_names_by_env(synthed)) == {}
