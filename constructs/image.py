"""Build one app's image with the docker provider and push it to ECR."""

from __future__ import annotations

from pathlib import Path

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_docker.image import Image, ImageBuild
from cdktf_cdktf_provider_docker.registry_image import RegistryImage

from constructs import Construct

DEFAULT_PLATFORM = "linux/amd64"  # Fargate tasks default to X86_64


class EcrImage(Construct):
    """``docker build`` of ``context_dir`` tagged ``<repository_url>:<tag>``, then a push.

    The build context is copied into the synthesized stack as a cdktf asset;
    its content hash is a trigger on both resources, so changed sources rebuild
    and re-push. ECR tags are immutable: a changed context needs a new version.
    ``platform`` defaults to ``linux/amd64``.

    Attributes: ``pinned_reference`` (``repo@sha256:...``, known after the push).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        context_dir: Path,
        repository_url: str,
        tag: str,
        platform: str = DEFAULT_PLATFORM,
    ) -> None:
        super().__init__(scope, id_)
        if not (context_dir / "Dockerfile").is_file():
            raise ValueError(f"context_dir={str(context_dir)!r} has no Dockerfile")
        context = TerraformAsset(
            self, "build-context", path=str(context_dir.resolve()), type=AssetType.DIRECTORY
        )
        triggers = {"context_sha": context.asset_hash}
        image = Image(
            self,
            "image",
            name=f"{repository_url}:{tag}",
            platform=platform,
            build_attribute=ImageBuild(context=context.path, platform=platform),
            triggers=triggers,
            keep_locally=False,
        )
        pushed = RegistryImage(
            self,
            "push",
            name=image.name,
            # Old tags stay in ECR for rollback; the lifecycle policy prunes them.
            keep_remotely=True,
            triggers=triggers,
        )
        self.pinned_reference = f"{repository_url}@{pushed.sha256_digest}"
