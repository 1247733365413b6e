"""The ECR repository that holds both images, tagged ``<service>-<version>``."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)

from constructs import Construct


def lifecycle_rules(tag_prefixes: tuple[str, ...], keep: int) -> str:
    """Keep the newest ``keep`` images per tag prefix; expire untagged after a day."""
    rules = [
        {
            "rulePriority": index + 1,
            "description": f"keep the last {keep} {prefix}* images",
            "selection": {
                "tagStatus": "tagged",
                "tagPrefixList": [prefix],
                "countType": "imageCountMoreThan",
                "countNumber": keep,
            },
            "action": {"type": "expire"},
        }
        for index, prefix in enumerate(tag_prefixes)
    ]
    rules.append(
        {
            "rulePriority": len(rules) + 1,
            "description": "expire untagged images after 1 day",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 1,
            },
            "action": {"type": "expire"},
        }
    )
    return json.dumps({"rules": rules}, indent=2)


class Registry(Construct):
    """One ECR repository: immutable tags, scan on push, KMS encryption.

    Immutable tags mean ``frontend-1.2.3`` always names the same image, which is
    what makes a tag-based rollback trustworthy. ``force_delete`` (default off)
    lets ``destroy`` remove a repository that still holds images.

    Attributes: ``repository_url``, ``repository_arn``, ``repository_name``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        repository_name: str,
        tag_prefixes: tuple[str, ...],
        keep_images_per_prefix: int,
        force_delete: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        if len(set(tag_prefixes)) != len(tag_prefixes) or not tag_prefixes:
            raise ValueError(f"tag_prefixes={tag_prefixes!r} must be distinct and non-empty")
        repo = EcrRepository(
            self,
            "repository",
            name=repository_name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=EcrRepositoryImageScanningConfiguration(scan_on_push=True),
            encryption_configuration=[EcrRepositoryEncryptionConfiguration(encryption_type="KMS")],
            force_delete=force_delete,
        )
        EcrLifecyclePolicy(
            self,
            "lifecycle",
            repository=repo.name,
            policy=lifecycle_rules(tag_prefixes, keep_images_per_prefix),
        )
        self.repository_url = repo.repository_url
        self.repository_arn = repo.arn
        self.repository_name = repo.name
