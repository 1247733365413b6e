"""Regenerate tests/fixtures/plans/*.json: real ``terraform show -json`` output.

Runs Terraform (hashicorp/aws from the offline mirror, see ``tools/terraform.py``)
against moto's server on 127.0.0.1 with fake credentials, in a temp dir, through
three configurations of a tiny network:

    create.json   empty state -> v1: everything created, one data source read
    noop.json     v1 applied, planned again: no changes
    changes.json  v1 -> v2: tag update, subnet CIDR change (replacement),
                  SecureString value change (sensitive update), one SG removed
                  (delete) and one added (create)
    destroy.json  ``plan -destroy`` of v1
    state.json    ``terraform show -json`` of the state: real JSON, but not a plan

    .venv/bin/python scripts/make_plan_fixtures.py [OUT_DIR]

The fake secret values below are what the summary must never print. IDs and
timestamps change on every run; the structure does not.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.terraform import AWS_VERSION, terraform_binary, terraform_env  # noqa: E402

OUT_DIR = ROOT / "tests" / "fixtures" / "plans"
# Secret values the fixtures carry in cleartext (Terraform's plan JSON does) and
# the summary must mask. tests/review reads these names from here.
SECRET_V1 = "fixture-secret-value-v1"
SECRET_V2 = "fixture-secret-value-v2"


def free_port() -> int:
    """A free TCP port on loopback (moto's ThreadedMotoServer needs a number)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def configuration(version: int, endpoint: str) -> dict[str, Any]:
    """The Terraform JSON configuration for ``version`` 1 or 2."""
    resources: dict[str, dict[str, Any]] = {
        "aws_vpc": {
            "main": {
                "cidr_block": "10.20.0.0/16",
                "tags": {"Name": "fixture-vpc", "Revision": str(version)},
            }
        },
        "aws_subnet": {
            "app": {
                "vpc_id": "${aws_vpc.main.id}",
                # v2 changes the CIDR: the provider must replace the subnet.
                "cidr_block": "10.20.1.0/24" if version == 1 else "10.20.2.0/24",
                "availability_zone": "us-east-1a",
                "tags": {"Name": "fixture-app"},
            }
        },
        "aws_security_group": {
            "web": {
                "name": "fixture-web",
                "description": "fixture web tier",
                "vpc_id": "${aws_vpc.main.id}",
            },
        },
        "aws_ssm_parameter": {
            "db_password": {
                "name": "/fixture/db-password",
                "type": "SecureString",
                "value": SECRET_V1 if version == 1 else SECRET_V2,
            }
        },
    }
    groups = resources["aws_security_group"]
    if version == 1:
        groups["legacy"] = {
            "name": "fixture-legacy",
            "description": "removed in v2",
            "vpc_id": "${aws_vpc.main.id}",
        }
    else:
        groups["api"] = {
            "name": "fixture-api",
            "description": "added in v2",
            "vpc_id": "${aws_vpc.main.id}",
        }
    return {
        "terraform": {
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": AWS_VERSION}}
        },
        "provider": {
            "aws": {
                "region": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "skip_credentials_validation": True,
                "skip_metadata_api_check": True,
                "skip_requesting_account_id": True,
                "endpoints": [{name: endpoint for name in ("ec2", "iam", "ssm", "sts")}],
            }
        },
        "resource": resources,
        # Depends on a subnet that is not created yet, so the plan defers it: a "read".
        "data": {"aws_subnet": {"app": {"id": "${aws_subnet.app.id}"}}},
    }


class Workdir:
    """A Terraform working directory in a temp dir, driven through the CLI."""

    def __init__(self, path: Path, endpoint: str) -> None:
        self.path = path
        self.endpoint = endpoint
        self.binary = terraform_binary()
        self.env = terraform_env()
        # Fake credentials, and no profile or region from the caller's shell.
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            self.env.pop(key, None)
        self.env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")

    def write(self, version: int) -> None:
        config = configuration(version, self.endpoint)
        (self.path / "main.tf.json").write_text(json.dumps(config, indent=2))

    def run(self, *args: str) -> str:
        result = subprocess.run(
            [self.binary, *args, "-no-color"],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"terraform {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def plan_json(self, *extra: str) -> dict[str, Any]:
        self.run("plan", "-input=false", "-out=tfplan", *extra)
        return json.loads(self.run("show", "-json", "tfplan"))

    def apply(self) -> None:
        self.run("apply", "-input=false", "-auto-approve")


def save(out_dir: Path, name: str, document: dict[str, Any]) -> None:
    """Write indented, so fixture diffs are reviewable."""
    path = out_dir / name
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def generate(out_dir: Path) -> None:
    """Start moto, run the scenario, write the fixtures, stop moto."""
    from moto.server import ThreadedMotoServer

    out_dir.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto logs every request
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="plan-fixtures-") as tmp:
            work = Workdir(Path(tmp), f"http://127.0.0.1:{port}")
            work.write(1)
            work.run("init", "-input=false")
            save(out_dir, "create.json", work.plan_json())
            work.apply()
            save(out_dir, "noop.json", work.plan_json())
            save(out_dir, "destroy.json", work.plan_json("-destroy"))
            save(out_dir, "state.json", json.loads(work.run("show", "-json")))
            work.write(2)
            save(out_dir, "changes.json", work.plan_json())
    finally:
        server.stop()


def main(argv: list[str]) -> int:
    generate(Path(argv[0]) if argv else OUT_DIR)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
