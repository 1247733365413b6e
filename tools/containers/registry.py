"""Debian's ``docker-registry`` on 127.0.0.1, standing in for ECR while the images are pushed.

Started as a process of its own with a generated config (free port, storage in a temp
directory), stopped and its directory removed afterwards. Docker trusts registries on
127.0.0.0/8 without TLS, so no certificates are involved.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tools.containers import packages
from tools.containers.common import LOCALHOST, ContainersError, free_port

MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    )
)
CONFIG = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {data}
  delete:
    enabled: true
http:
  addr: {host}:{port}
"""


@dataclass(frozen=True)
class Registry:
    address: str  # host:port, the prefix of image references
    pid: int

    def digest(self, repository: str, tag: str) -> str:
        """The manifest digest the registry serves for ``repository:tag``."""
        request = urllib.request.Request(
            f"http://{self.address}/v2/{repository}/manifests/{tag}",
            method="HEAD",
            headers={"Accept": MANIFEST_TYPES},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                digest = response.headers.get("Docker-Content-Digest", "")
        except (OSError, urllib.error.HTTPError) as exc:
            raise ContainersError(f"registry has no {repository}:{tag}: {exc}") from exc
        if not digest.startswith("sha256:"):
            raise ContainersError(f"registry sent no digest for {repository}:{tag}")
        return str(digest)


def _answers(address: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{address}/v2/", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def local_registry(start_seconds: float = 20) -> Iterator[Registry]:
    """A running registry for the ``with`` block; stopped (port freed) when it ends."""
    binary = packages.ensure("docker-registry")
    with tempfile.TemporaryDirectory(prefix="ecs-learn-registry-") as tmp:
        port = free_port()
        config = Path(tmp) / "config.yml"
        config.write_text(CONFIG.format(data=Path(tmp) / "data", host=LOCALHOST, port=port))
        log = (Path(tmp) / "registry.log").open("w")
        proc = subprocess.Popen(
            [binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        address = f"{LOCALHOST}:{port}"
        try:
            deadline = time.monotonic() + start_seconds
            while proc.poll() is None and not _answers(address):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            if not _answers(address):
                log.flush()
                raise ContainersError(
                    f"docker-registry did not start on {address}:\n"
                    + (Path(tmp) / "registry.log").read_text()[-1000:]
                )
            print(f"containers: registry on {address} (pid {proc.pid})", flush=True)
            yield Registry(address=address, pid=proc.pid)
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
