"""Debian packages the harness needs, installed with apt-get only where that is allowed.

Allowed means: running as root, on Debian (``apt-get`` present) and ``CONTAINERS_INSTALL``
is not ``0``. Each step installs only what it needs and the machine lacks;
``python -m tools.containers setup`` (``make containers-setup``) runs every step once.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tools.containers.common import ContainersError, MissingError, run, tail

# binary -> (Debian package, what it is for)
NEEDED = {
    "dockerd": ("docker.io", "a Docker engine"),
    "docker": ("docker.io", "the docker CLI"),
    "docker-registry": ("docker-registry", "the local registry that stands in for ECR"),
    "debootstrap": ("debootstrap", "the stand-in base image"),
}
_updated = False


def which(binary: str) -> str | None:
    """``binary`` on PATH or in the sbin directories (dockerd lives in /usr/sbin)."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    return shutil.which(binary, path=path)


def why_not_install() -> str | None:
    """Why apt-get may not be used here, or None when it may."""
    if os.environ.get("CONTAINERS_INSTALL", "1") == "0":
        return "CONTAINERS_INSTALL=0 forbids installing packages"
    if os.geteuid() != 0:
        return "not running as root"
    if not Path("/etc/debian_version").exists() or shutil.which("apt-get") is None:
        return "this is not a Debian system with apt-get"
    return None


def apt_install(packages: list[str]) -> None:
    global _updated
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"containers: installing Debian's {' '.join(packages)} with apt-get", flush=True)
    if not _updated:
        result = run(["apt-get", "update", "-q"], env=env, timeout=600)
        if result.returncode != 0:
            raise ContainersError(f"apt-get update failed:\n{tail(result.stdout)}")
        _updated = True
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    result = run(cmd, env=env, timeout=1200)
    if result.returncode != 0:
        raise ContainersError(
            f"apt-get install {' '.join(packages)} failed:\n{tail(result.stdout)}"
        )


def ensure(binary: str) -> str:
    """The path of ``binary``, installing its Debian package first when missing and allowed."""
    found = which(binary)
    if found:
        return found
    package, purpose = NEEDED[binary]
    why = why_not_install()
    if why:
        raise MissingError(
            f"{binary} (for {purpose}) is not installed, and it is not installed "
            f"automatically because {why}: install Debian's {package}"
        )
    apt_install([package])
    found = which(binary)
    if not found:
        raise MissingError(f"{binary} is still missing after installing {package}")
    return found
