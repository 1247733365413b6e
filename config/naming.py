"""Names derived from an environment's name, defined once.

Tools that drive the stacks (deploy, rehearsal, containers, diagram) and the
stacks themselves all take stack names from ``stack_name``.
"""

from __future__ import annotations

from typing import Literal

StackKind = Literal["bootstrap", "foundation", "images", "services"]
STACK_KINDS: tuple[StackKind, ...] = ("bootstrap", "foundation", "images", "services")


def stack_name(env_name: str, kind: StackKind) -> str:
    """``("dev", "foundation")`` -> ``dev-foundation``."""
    if kind not in STACK_KINDS:
        raise ValueError(f"kind={kind!r}: not one of {STACK_KINDS}")
    return f"{env_name}-{kind}"


def is_bootstrap_stack(name: str) -> bool:
    """True for ``<env>-bootstrap`` stack names."""
    return name.endswith("-bootstrap")
