"""Build one app's image with the docker provider and push it to ECR."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_docker.image import Image, ImageBuild
from cdktf_cdktf_provider_docker.registry_image import RegistryImage

from constructs import Construct

DEFAULT_PLATFORM = "linux/amd64"  # Fargate tasks default to X86_64
# Left by local runs of the apps; never part of an image.
IGNORED_NAMES = ("__pycache__",)
IGNORED_SUFFIXES = (".pyc", ".pyo")


def sources_sha(context_dir: Path, sources: Sequence[str]) -> str:
    """sha256 of every file under ``sources`` (paths relative to ``context_dir``).

    Each file counts with its relative path and its bytes, in path order, so a
    renamed, added, removed or edited file changes the hash; caches do not.
    """
    digest = hashlib.sha256()
    files: set[Path] = set()
    for source in sources:
        path = context_dir / source
        files.update(p for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file())
    for file in sorted(files):
        relative = file.relative_to(context_dir)
        if set(relative.parts) & set(IGNORED_NAMES) or file.suffix in IGNORED_SUFFIXES:
            continue
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


class EcrImage(Construct):
    """``docker build`` tagged ``<repository_url>:<tag>``, then a push to ECR.

    ``dockerfile`` is a path inside ``context_dir``, so several images can share one
    context. The context is copied into the synthesized stack as a cdktf asset.
    ``sources`` (paths inside ``context_dir``, the Dockerfile's folder among them)
    are what the image is built from: their content hash is the ``context_sha``
    trigger on both resources, so a change in any of them rebuilds and re-pushes
    this image, and a change elsewhere in the context does not. ECR tags are
    immutable: changed sources need a new version. ``platform`` defaults to
    ``linux/amd64``.

    Attributes: ``pinned_reference`` (``repo@sha256:...``, known after the push).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        context_dir: Path,
        dockerfile: str,
        sources: Sequence[str],
        repository_url: str,
        tag: str,
        platform: str = DEFAULT_PLATFORM,
    ) -> None:
        super().__init__(scope, id_)
        if not (context_dir / dockerfile).is_file():
            raise ValueError(f"dockerfile={dockerfile!r} is not a file in {str(context_dir)!r}")
        missing = [s for s in sources if not (context_dir / s).exists()]
        if missing:
            raise ValueError(f"sources={list(sources)!r}: {missing} not in {str(context_dir)!r}")
        if not any(PurePosixPath(dockerfile).is_relative_to(s) for s in sources):
            raise ValueError(f"sources={list(sources)!r} do not include dockerfile={dockerfile!r}")
        # Named by the sources' hash, not the whole context's: the build block then
        # changes exactly when the trigger does (not for an edit elsewhere in the context).
        context = TerraformAsset(
            self,
            "build-context",
            path=str(context_dir.resolve()),
            type=AssetType.DIRECTORY,
            asset_hash=sources_sha(context_dir, sources),
        )
        triggers = {"context_sha": context.asset_hash}
        image = Image(
            self,
            "image",
            name=f"{repository_url}:{tag}",
            platform=platform,
            # The provider reads `dockerfile` relative to Terraform's working directory
            # (the stack's), like `context`, not relative to the context.
            build_attribute=ImageBuild(
                context=context.path,
                dockerfile=f"{context.path}/{dockerfile}",
                platform=platform,
            ),
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
