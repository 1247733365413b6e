"""Before a build-and-push deploy: one release version names one build.

ECR tags are immutable, so a deploy (``IMAGE_SOURCE=build``, ``TARGET=aws``) whose build
context changed under a version already in ECR stops before it builds or pushes anything.
The images stack's builds carry ``triggers.context_sha``, a hash of the files an image is
built from: the synthesized stack has it for the sources now, the stack's state for what
each tag was pushed from. A tag in ECR that this state never pushed cannot be vouched for
and is refused too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from config.naming import stack_name
from tools.deploy import commands
from tools.deploy.ecr import missing_tags
from tools.deploy.target import environment_config

BUILD_RESOURCE = "docker_image"  # its name is the literal ``<repo>:<tag>``
PUSH_RESOURCE = "docker_registry_image"  # in the state: what each tag was pushed from
TRIGGER = "context_sha"


class RebuildRefused(RuntimeError):
    """A pushed version's build context changed; nothing was built or pushed."""


def _tag(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def synthesized_contexts(stack: Mapping[str, Any]) -> dict[str, str]:
    """Tag -> context hash of each build in a synthesized images stack (``cdk.tf.json``)."""
    builds = stack.get("resource", {}).get(BUILD_RESOURCE, {})
    return {_tag(b["name"]): b.get("triggers", {}).get(TRIGGER, "") for b in builds.values()}


def _resources(module: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _resources(child)


def recorded_contexts(state: Mapping[str, Any]) -> dict[str, str]:
    """Tag -> context hash each push was made from, from ``terraform show -json`` of the state."""
    root = state.get("values", {}).get("root_module", {})
    return {
        _tag(r["values"]["name"]): (r["values"].get("triggers") or {}).get(TRIGGER, "")
        for r in _resources(root)
        if r.get("type") == PUSH_RESOURCE and r.get("mode", "managed") == "managed"
    }


def refusal(
    env_name: str,
    repository: str,
    existing: set[str],
    synthesized: Mapping[str, str],
    recorded: Mapping[str, str],
) -> str | None:
    """The error for the tags that exist but would now be built from another context."""
    changed = []
    for tag, now in sorted(synthesized.items()):
        if tag not in existing or recorded.get(tag) == now:
            continue
        was = recorded.get(tag)
        since = (
            f"pushed from build context {was[:12]}, now {now[:12]}"
            if was
            else "pushed, but not by this images stack, so its build context is unknown"
        )
        changed.append(f"{tag} ({since})")
    if not changed:
        return None
    return (
        f"refusing to deploy {env_name}: {', '.join(changed)} already in ECR repository "
        f"{repository}. ECR tags are immutable and a version names one build, so nothing was "
        "built or pushed. Bump APP_VERSION (the deploy workflow uses the commit sha), or "
        "deploy the images already pushed with IMAGE_SOURCE=tag."
    )


def check(
    ecr: Any,
    env_name: str,
    repository: str,
    stack_file: Path,
    read_state: Any,
) -> None:
    """Raise ``RebuildRefused`` if a pushed tag would be rebuilt from a changed context.

    ``read_state()`` returns ``terraform show -json`` of the images stack's state
    (``{}`` when it has none); it is only called when some tag already exists.
    """
    synthesized = synthesized_contexts(json.loads(stack_file.read_text()))
    tags = sorted(synthesized)
    existing = set(tags) - set(missing_tags(ecr, repository, tags))
    if not existing:
        return
    message = refusal(env_name, repository, existing, synthesized, recorded_contexts(read_state()))
    if message:
        raise RebuildRefused(message)


def _state_reader(ws: Any, stack: str, env: Mapping[str, str]) -> Any:
    """``terraform show -json`` of ``stack``'s state (after an init), as a callable."""

    def read() -> dict[str, Any]:
        for args in (["init", "-input=false", "-no-color"], ["show", "-json", "-no-color"]):
            log = ws.log(f"image-guard-{args[0]}-{stack}")
            result = commands.terraform(ws, stack, args, env, log=log)
            if result.returncode != 0:
                raise RebuildRefused(
                    f"cannot check the pushed images against {stack}'s state: terraform "
                    f"{args[0]} failed (log: {log}); nothing was built or pushed"
                )
        try:
            outputs: dict[str, Any] = json.loads(result.output[result.output.index("{") :])
            return outputs
        except ValueError:
            return {}

    return read


def before_deploy(target: Any, ws: Any, env: Mapping[str, str], stacks: list[str]) -> None:
    """``check`` for a deploy that includes ``<env>-images`` (``IMAGE_SOURCE=build``)."""
    images = stack_name(target.env_name, "images")
    if images not in stacks:
        return
    config = environment_config(target.env_name, env)
    check(
        target.client("ecr"),
        target.env_name,
        config.registry.repository_name,
        ws.stack_dir(images) / "cdk.tf.json",
        _state_reader(ws, images, env),
    )
