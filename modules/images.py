"""``<env>-images``: build and push ``<service>-<version>`` images with the docker provider.

Needs a Docker engine and the kreuzwerker/docker provider at plan/apply time.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cdktf import TerraformOutput
from cdktf_cdktf_provider_aws.data_aws_ecr_authorization_token import (
    DataAwsEcrAuthorizationToken,
)
from cdktf_cdktf_provider_docker.provider import DockerProvider, DockerProviderRegistryAuth

from config import EnvironmentConfig
from constructs import Construct
from constructs.image import EcrImage
from modules.common import EnvironmentStack
from modules.foundation import FoundationStack


class ImagesStack(EnvironmentStack):
    """One build + push per service, authenticated by a short-lived ECR token.

    ``app_dirs`` maps a service name to its Docker build context.

    Attributes: ``pinned_references`` (service name -> ``repo@sha256:...``).
    """

    def __init__(
        self,
        scope: Construct,
        stack_name: str,
        *,
        env: EnvironmentConfig,
        foundation: FoundationStack,
        app_dirs: Mapping[str, Path],
    ) -> None:
        super().__init__(scope, stack_name, env=env)
        missing = [s.name for s in env.services if s.name not in app_dirs]
        if missing:
            raise ValueError(f"app_dirs={dict(app_dirs)!r} has no directory for {missing}")
        self.add_dependency(foundation)
        # The same token `aws ecr get-login-password` prints, valid for 12 hours.
        token = DataAwsEcrAuthorizationToken(self, "ecr-token")
        DockerProvider(
            self,
            "docker",
            registry_auth=[
                DockerProviderRegistryAuth(
                    address=token.proxy_endpoint,
                    username=token.user_name,
                    password=token.password,
                )
            ],
        )
        repository_url = foundation.registry.repository_url
        self.pinned_references: dict[str, str] = {}
        for svc in env.services:
            image = EcrImage(
                self,
                f"{svc.name}-image",
                context_dir=app_dirs[svc.name],
                repository_url=repository_url,
                tag=f"{svc.name}-{env.app_version}",
            )
            self.pinned_references[svc.name] = image.pinned_reference
            TerraformOutput(self, f"{svc.name}_image", value=image.pinned_reference)
