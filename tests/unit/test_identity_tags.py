"""Every taggable resource carries its construct path, the identity `make recover` adopts it by."""

from __future__ import annotations

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.vpc import Vpc

from config.schema import PATH_TAG
from modules.identity import tag_paths
from tests.synth import Synth

APP_STACKS = ("dev-foundation", "dev-services", "prod-foundation", "prod-services")


@pytest.mark.parametrize("stack", APP_STACKS)
def test_each_taggable_resource_is_tagged_with_its_own_path(synthed: Synth, stack: str) -> None:
    tagged = 0
    for tf_type, resources in synthed.json(stack)["resource"].items():
        for body in resources.values():
            if "tags" in body:
                assert body["tags"][PATH_TAG] == body["//"]["metadata"]["path"], tf_type
                tagged += 1
    assert tagged >= 6  # (6 in a services stack) a stack with none would pass vacuously


def test_the_foundation_vpc_path_is_the_readable_one(synthed: Synth) -> None:
    (vpc,) = synthed.resources("dev-foundation", "aws_vpc")
    assert vpc["tags"][PATH_TAG] == "dev-foundation/network/vpc"


def test_a_resources_own_tags_are_kept_beside_the_path() -> None:
    # GIVEN a resource with a Name tag in a stack tagged by paths
    stack = TerraformStack(Testing.app(), "s")
    Vpc(stack, "vpc", cidr_block="10.0.0.0/16", tags={"Name": "mine"})
    tag_paths(stack)
    # WHEN synthesized THEN both tags are there
    assert Testing.to_have_resource_with_properties(
        Testing.synth(stack), "aws_vpc", {"tags": {"Name": "mine", PATH_TAG: "s/vpc"}}
    )
