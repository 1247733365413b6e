"""Refuse a destroy that AWS would stop half-way, before anything is destroyed.

``cdktf destroy`` removes the services first and the foundation's load balancers last; AWS
refuses to delete those while their deletion protection is on, which would leave prod without
services but with its network. So the account is asked about them before the destroy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import botocore.exceptions  # type: ignore[import-untyped]  # ships no type information

PROTECTION_ATTRIBUTE = "deletion_protection.enabled"


class ProtectedResources(RuntimeError):
    """A destroy would stop at deletion-protected resources; nothing was destroyed."""


def load_balancer_names(stack_file: Path) -> list[str]:
    """The names of the ``aws_lb`` resources of a synthesized ``cdk.tf.json``, sorted."""
    stack = json.loads(stack_file.read_text())
    balancers = stack.get("resource", {}).get("aws_lb", {}).values()
    return sorted(lb["name"] for lb in balancers if "name" in lb)


def protected_load_balancers(elbv2: Any, names: Iterable[str]) -> list[str]:
    """Those of ``names`` that exist and have deletion protection on; missing ones are skipped."""
    protected = []
    for name in names:
        try:
            found = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"]
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "LoadBalancerNotFound":
                continue
            raise
        for balancer in found:
            attributes = elbv2.describe_load_balancer_attributes(
                LoadBalancerArn=balancer["LoadBalancerArn"]
            )["Attributes"]
            values = {a["Key"]: a.get("Value", "") for a in attributes}
            if values.get(PROTECTION_ATTRIBUTE, "false").lower() == "true":
                protected.append(name)
    return protected


def refusal(env_name: str, protected: list[str]) -> str:
    """One message: what is protected, that nothing happened, and how to tear down on purpose."""
    return (
        f"refusing to destroy {env_name}: deletion protection is on for load balancer(s) "
        f"{', '.join(protected)}, so AWS would stop the destroy half-way, after the services "
        f"are gone. Nothing was destroyed. To tear {env_name} down on purpose run "
        f"`make destroy ENV={env_name} FORCE_TEARDOWN=1` (python -m tools.deploy destroy "
        f"--env {env_name} --disable-protection): it first applies {env_name}-foundation with "
        "deletion protection off (DELETION_PROTECTION=off), then destroys."
    )


def check_destroy_allowed(elbv2: Any, foundation_stack_file: Path, env_name: str) -> None:
    """Raise ``ProtectedResources`` when a load balancer of the foundation stack is protected."""
    if not foundation_stack_file.exists():
        return  # this environment synthesizes no foundation stack: nothing to protect
    protected = protected_load_balancers(elbv2, load_balancer_names(foundation_stack_file))
    if protected:
        raise ProtectedResources(refusal(env_name, protected))
