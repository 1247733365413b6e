"""The config's budgets restate facts about the stacks; these keep the two in step."""

import json

from config.schema import (
    DEFAULT_TAG_KEYS,
    INTERFACE_ENDPOINTS,
    MAX_TARGET_GROUP_NAME,
    RESERVED_ENV_VARS,
    TARGET_GROUP_SUFFIX_BUDGET,
)
from constructs.endpoints import DEFAULT_INTERFACE_SERVICES


def test_interface_endpoint_budget_matches_the_endpoints_construct():
    assert len(DEFAULT_INTERFACE_SERVICES) == INTERFACE_ENDPOINTS


def test_tag_budget_counts_the_provider_default_tags(synthed):
    for stack in synthed.stacks:
        (provider,) = synthed.json(stack)["provider"]["aws"]
        assert sorted(provider["default_tags"][0]["tags"]) == sorted(DEFAULT_TAG_KEYS), stack


def test_reserved_variables_are_the_ones_the_services_stack_computes(synthed):
    # GIVEN the default services, which set no environment of their own
    computed: set[str] = set()
    for definition in synthed.resources("dev-services", "aws_ecs_task_definition"):
        (container,) = json.loads(definition["container_definitions"])
        computed |= {variable["name"] for variable in container["environment"]}
    # THEN every variable in the task definitions is one the config reserves
    assert computed == set(RESERVED_ENV_VARS)


def test_target_group_names_leave_room_for_the_suffix(synthed):
    for stack in ("dev-foundation", "prod-foundation"):
        for group in synthed.resources(stack, "aws_lb_target_group"):
            assert len(group["name"]) + TARGET_GROUP_SUFFIX_BUDGET <= MAX_TARGET_GROUP_NAME
