"""The base image: the Dockerfile's pinned one when it can be had, else a Debian stand-in.

The stand-in is a minimal Debian bookworm (``debootstrap --variant=minbase``) with
``python3`` and ``python-is-python3`` (the HEALTHCHECK and CMD call ``python``) and the
``passwd`` tools for the Dockerfiles' ``useradd``. It is tarred once (cached under
``.rehearsal/containers/cache``) and ``docker import``-ed. Its Python is bookworm's 3.11,
not the pinned 3.12: the build says so loudly whenever it uses it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tools.containers import packages
from tools.containers.common import STATE_DIR, ContainersError, MissingError, run, tail
from tools.containers.engine import Engine

STANDIN = "ecs-learn/python-standin:bookworm"
CACHE = STATE_DIR / "cache" / "python-standin-bookworm.tar"
SUITE, MIRROR = "bookworm", "http://deb.debian.org/debian"
STANDIN_PACKAGES = "python3,python-is-python3,passwd"
# Left out of the tarball: package caches and docs (about half of the 260 MB).
TRIM = ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man",
        "usr/share/locale")  # fmt: skip
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Base:
    image: str  # what the build gets as BASE_IMAGE
    pinned: str  # the Dockerfile's default
    standin: bool


def pinned_base(dockerfile: Path) -> str:
    """The default of ``ARG BASE_IMAGE=...`` in ``dockerfile``."""
    match = re.search(r"^ARG BASE_IMAGE=(\S+)\s*$", dockerfile.read_text(), flags=re.M)
    if not match:
        raise ContainersError(f"{dockerfile} has no `ARG BASE_IMAGE=<pinned image>`")
    return match[1]


def has_image(engine: Engine, image: str) -> bool:
    return engine.docker("image", "inspect", image).returncode == 0


def ensure_base(engine: Engine, pinned: str) -> Base:
    """``pinned`` when present or pullable; else the stand-in, announced loudly."""
    if has_image(engine, pinned):
        print(f"containers: base image {pinned} (the pinned one)", flush=True)
        return Base(pinned, pinned, standin=False)
    pulled = engine.docker("pull", pinned, timeout=600)
    if pulled.returncode == 0:
        print(f"containers: base image {pinned} (the pinned one, pulled)", flush=True)
        return Base(pinned, pinned, standin=False)
    reason = tail(pulled.stdout, 1)
    print(
        "containers: !!! BASE IMAGE STAND-IN !!!\n"
        f"containers: cannot pull {pinned} ({reason})\n"
        f"containers: building on {STANDIN}: Debian {SUITE}'s python3 (3.11), NOT {pinned}",
        flush=True,
    )
    if not has_image(engine, STANDIN):
        if not CACHE.exists():
            build_rootfs_tar(CACHE)
        engine.ok(
            "import", "--change", f"ENV PATH={PATH}", "--change", 'CMD ["python3"]',
            str(CACHE), STANDIN, what=f"docker import of {CACHE}", timeout=300,
        )  # fmt: skip
    return Base(STANDIN, pinned, standin=True)


def build_rootfs_tar(target: Path) -> None:
    """debootstrap a minimal bookworm with python3 and tar it to ``target`` (about 2 min)."""
    debootstrap = packages.ensure("debootstrap")
    if os.geteuid() != 0:
        raise MissingError(
            "the stand-in base needs root for debootstrap: run `make containers-setup` as "
            "root once (it imports the stand-in into this engine), or make the pinned base "
            "pullable"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"containers: debootstrap {SUITE} with {STANDIN_PACKAGES} (once; cached)", flush=True)
    with tempfile.TemporaryDirectory(prefix="standin-", dir=target.parent) as tmp:
        rootfs = Path(tmp) / "rootfs"
        result = run(
            [debootstrap, "--variant=minbase", f"--include={STANDIN_PACKAGES}", SUITE,
             str(rootfs), MIRROR],
            timeout=1800,
        )  # fmt: skip
        if result.returncode != 0:
            raise ContainersError(f"debootstrap failed (needs root and {MIRROR}):\n"
                                  f"{tail(result.stdout)}")  # fmt: skip
        for path in TRIM:
            shutil.rmtree(rootfs / path, ignore_errors=True)
        partial = Path(tmp) / "rootfs.tar"
        result = run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(partial), "."])
        if result.returncode != 0:
            raise ContainersError(f"tar of the stand-in failed:\n{tail(result.stdout)}")
        partial.replace(target)
