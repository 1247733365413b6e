"""Identity tags: every taggable resource names its own construct path.

``ecs-learn:path = dev-foundation/network/vpc`` ties a live resource to
exactly one Terraform address, the resource whose synthesized metadata has
that path. ``make recover`` adopts orphans by it, named or not (a VPC, a
subnet, a security group rule), so a crashed deploy never leaves one behind
to be created twice.
"""

from __future__ import annotations

from typing import Any

import jsii
from cdktf import Aspects, IAspect, TerraformResource, TerraformStack

from config.schema import PATH_TAG
from constructs import IConstruct


@jsii.implements(IAspect)
class PathTags:
    """Adds ``ecs-learn:path`` to the ``tags`` of every resource type that has them."""

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, TerraformResource) or not hasattr(type(node), "tags_input"):
            return
        tags: Any = node.tags_input or {}  # type: ignore[attr-defined]
        node.tags = {**tags, PATH_TAG: node.node.path}  # type: ignore[attr-defined]


def tag_paths(stack: TerraformStack) -> None:
    """Tag every taggable resource of ``stack`` with its construct path (at synth)."""
    Aspects.of(stack).add(PathTags())
