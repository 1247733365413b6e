"""``<env>-images``: build and push ``<service>-<version>`` images with the docker provider.

Needs a Docker engine and the kreuzwerker/docker provider at plan/apply time.
"""

from __future__ import annotations

from pathlib import Path

from cdktf import Fn, TerraformOutput
from cdktf_cdktf_provider_docker.provider import DockerProvider, DockerProviderRegistryAuth

from config import EnvironmentConfig
from constructs import Construct
from constructs.image import EcrImage
from modules.common import EnvironmentStack
from modules.foundation import FoundationStack

# Every image builds with apps/ as its context from <service>/Dockerfile, which copies its
# own folder and the shared common/ (tests/apps/test_dockerfiles.py checks the COPYs).
SHARED_SOURCES = ("common", ".dockerignore")


class ImagesStack(EnvironmentStack):
    """One build + push per service, authenticated by a short-lived ECR token.

    The token never enters the configuration or the state, which the plan role can
    read (it would let any reader push as the deploy role for 12 hours): the docker
    provider takes it from ``DOCKER_REGISTRY_USER``/``DOCKER_REGISTRY_PASS``, which
    ``make deploy``/``make diff`` and ``tools.review.plan_stacks`` set from ECR's
    ``GetAuthorizationToken`` (``tools/deploy/ecr.py``) for the Terraform run only.

    ``apps_dir`` is the one Docker build context of every service; each builds
    from ``<apps_dir>/<service>/Dockerfile``. An image's ``context_sha`` trigger
    covers its own folder and ``SHARED_SOURCES``, so a change in the shared
    runtime rebuilds every image, and a change in one app rebuilds only that one.

    Attributes: ``pinned_references`` (service name -> ``repo@sha256:...``).
    """

    def __init__(
        self,
        scope: Construct,
        stack_name: str,
        *,
        env: EnvironmentConfig,
        foundation: FoundationStack,
        apps_dir: Path,
    ) -> None:
        super().__init__(scope, stack_name, env=env)
        missing = [s.name for s in env.services if not (apps_dir / s.name / "Dockerfile").is_file()]
        if missing:
            raise ValueError(
                f"apps_dir={str(apps_dir)!r} has no <service>/Dockerfile for {missing}"
            )
        self.add_dependency(foundation)
        repository_url = foundation.registry.repository_url
        # The registry host of the repository URL; the credentials come from the environment.
        registry = Fn.element(Fn.split("/", repository_url), 0)
        DockerProvider(self, "docker", registry_auth=[DockerProviderRegistryAuth(address=registry)])
        self.pinned_references: dict[str, str] = {}
        for svc in env.services:
            image = EcrImage(
                self,
                f"{svc.name}-image",
                context_dir=apps_dir,
                dockerfile=f"{svc.name}/Dockerfile",
                sources=(svc.name, *SHARED_SOURCES),
                repository_url=repository_url,
                tag=f"{svc.name}-{env.app_version}",
            )
            self.pinned_references[svc.name] = image.pinned_reference
            TerraformOutput(self, f"{svc.name}_image", value=image.pinned_reference)
