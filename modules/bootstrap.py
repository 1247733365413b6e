"""``<env>-bootstrap``: the S3 state bucket every other stack of the environment uses.

It cannot keep its own state in the bucket it creates, so its state is local:
for real AWS in cdktf's default place, ``terraform.<env>-bootstrap.tfstate``
in the project root (git-ignored; keep it safe); for the emulator, beside the
synthesized stack, because the emulator's bucket lives only as long as it runs.
Apply it once per environment (``make bootstrap ENV=...``) before any deploy.
"""

from __future__ import annotations

from cdktf import LocalBackend, TerraformOutput, TerraformStack

from config import EnvironmentConfig
from config.naming import stack_name
from constructs import Construct
from constructs.state_bucket import StateBucket
from modules.common import aws_provider


def bootstrap_stack_name(env: EnvironmentConfig) -> str:
    """``dev`` -> ``dev-bootstrap``."""
    return stack_name(env.name, "bootstrap")


def emulator_state_file(stack_name: str) -> str:
    """Relative to the stack's own directory in the synthesized output."""
    return f"terraform.{stack_name}.tfstate"


class BootstrapStack(TerraformStack):
    """The state bucket named by ``env.state.bucket``, in the environment's region.

    ``state_file`` is the local state path (default: cdktf's
    ``<cwd>/terraform.<stack>.tfstate``). Needs ``env.state.backend == "s3"``.

    Attributes: ``state_bucket`` (the ``StateBucket`` construct).
    """

    def __init__(
        self,
        scope: Construct,
        stack_name: str,
        *,
        env: EnvironmentConfig,
        state_file: str | None = None,
    ) -> None:
        super().__init__(scope, stack_name)
        if env.state.backend != "s3" or not env.state.bucket:
            raise ValueError(
                f"{env.name}.state.backend={env.state.backend!r}: "
                "the bootstrap stack creates an S3 state bucket; use the s3 backend"
            )
        LocalBackend(self, path=state_file)
        aws_provider(self, env, stack_name)
        self.state_bucket = StateBucket(self, "state-bucket", bucket_name=env.state.bucket)
        TerraformOutput(self, "state_bucket_name", value=self.state_bucket.bucket_name)
        TerraformOutput(self, "state_bucket_arn", value=self.state_bucket.bucket_arn)


def build_bootstrap(scope: Construct, env: EnvironmentConfig) -> BootstrapStack:
    """The environment's bootstrap stack; for the emulator its state sits beside the stack."""
    name = bootstrap_stack_name(env)
    return BootstrapStack(
        scope, name, env=env, state_file=emulator_state_file(name) if env.emulator else None
    )
