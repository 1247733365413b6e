"""The config's budgets restate facts about the stacks; these keep the two in step."""

import json
import re

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


def test_target_group_suffix_fits_the_budget_the_config_reserves(synthed):
    # The construct appends "-<6 hex>" for replacement safety; the config budgets for it.
    for stack in ("dev-foundation", "prod-foundation"):
        for group in synthed.resources(stack, "aws_lb_target_group"):
            base, _, suffix = group["name"].rpartition("-")
            assert re.fullmatch(r"[0-9a-f]{6}", suffix), group["name"]
            assert len(suffix) + 1 == TARGET_GROUP_SUFFIX_BUDGET
            assert len(base) + TARGET_GROUP_SUFFIX_BUDGET <= MAX_TARGET_GROUP_NAME
