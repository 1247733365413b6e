"""A release's images in the environment's ECR repository (boto3 ``describe_images``).

A release pushes ``<service>-<version>`` for each service; the rollback looks its
tags up before anything changes, and the image guard before a build pushes any.
``registry_credentials`` gives the docker provider of ``<env>-images`` its login.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import botocore.exceptions  # type: ignore[import-untyped]  # ships no type information


def image_tags(version: str, services: Sequence[str]) -> list[str]:
    """The tags a release pushes: ``<service>-<version>`` for each service."""
    return [f"{service}-{version}" for service in services]


def _code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def missing_tags(ecr: Any, repository: str, tags: Sequence[str]) -> list[str]:
    """Those of ``tags`` that ``repository`` does not hold (all of them if it does not exist)."""
    missing = []
    for tag in tags:
        try:
            ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
        except botocore.exceptions.ClientError as exc:
            if _code(exc) == "ImageNotFoundException":
                missing.append(tag)
            elif _code(exc) == "RepositoryNotFoundException":
                return list(tags)
            else:
                raise
    return missing


def versions_present(ecr: Any, repository: str, services: Sequence[str]) -> list[str]:
    """Versions whose images exist for every service, sorted; empty without the repository."""
    tags: set[str] = set()
    try:
        for page in ecr.get_paginator("describe_images").paginate(repositoryName=repository):
            for image in page.get("imageDetails", []):
                tags.update(image.get("imageTags", []))
    except botocore.exceptions.ClientError as exc:
        if _code(exc) == "RepositoryNotFoundException":
            return []
        raise
    first, *rest = services
    found = {t.removeprefix(f"{first}-") for t in tags if t.startswith(f"{first}-")}
    return sorted(v for v in found if all(f"{s}-{v}" in tags for s in rest))


# What the docker provider's registry_auth reads when the configuration sets no credentials.
REGISTRY_USER_VAR = "DOCKER_REGISTRY_USER"
REGISTRY_PASS_VAR = "DOCKER_REGISTRY_PASS"


def registry_credentials(ecr: Any) -> dict[str, str]:
    """The caller's ECR login (valid 12 hours) as the docker provider's environment
    variables; they go to one Terraform run and never into a file or the state."""
    data = ecr.get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    return {REGISTRY_USER_VAR: user, REGISTRY_PASS_VAR: password}
