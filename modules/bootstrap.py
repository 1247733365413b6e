"""``<env>-bootstrap``: the S3 state bucket every other stack of the environment uses,
the permissions boundary of the roles the foundation creates, and, when a GitHub
repository is configured, the roles its workflows assume.

It cannot keep its own state in the bucket it creates, so its state is local:
for real AWS in cdktf's default place, ``terraform.<env>-bootstrap.tfstate``
in the project root (git-ignored; keep it safe); for the emulator, beside the
synthesized stack, because the emulator's bucket lives only as long as it runs.
Apply it once per environment (``make bootstrap ENV=...``) before any deploy,
with administrator credentials: it creates the IAM roles CI then uses.
"""

from __future__ import annotations

from cdktf import LocalBackend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition

from config import EnvironmentConfig
from config.naming import (
    execution_role_name,
    flow_logs_role_name,
    stack_name,
    task_role_name,
)
from constructs import Construct
from constructs.ci_identity import OIDC_SUBJECT_CLAIM_KEYS, CiRoles, GithubOidcProvider
from constructs.ci_policies import Scope
from constructs.state_bucket import StateBucket
from constructs.workload_boundary import WorkloadBoundary
from modules.common import aws_provider


def bootstrap_stack_name(env: EnvironmentConfig) -> str:
    """``dev`` -> ``dev-bootstrap``."""
    return stack_name(env.name, "bootstrap")


def emulator_state_file(stack_name: str) -> str:
    """Relative to the stack's own directory in the synthesized output."""
    return f"terraform.{stack_name}.tfstate"


class BootstrapStack(TerraformStack):
    """The state bucket named by ``env.state.bucket``, in the environment's region,
    unless ``env.state.bootstrap_bucket`` is ``existing``; always the managed policy
    ``<prefix>-workload-boundary`` (``constructs/workload_boundary.py``), which the
    foundation's roles carry as their permissions boundary; and with
    ``env.ci.github_repository`` set, the GitHub OIDC provider (or a lookup of
    the account's existing one) and the environment's CI plan and deploy roles.

    ``state_file`` is the local state path (default: cdktf's
    ``<cwd>/terraform.<stack>.tfstate``). Needs ``env.state.backend == "s3"``.

    Attributes: ``state_bucket`` (the ``StateBucket`` construct, or None for an
    existing bucket), ``workload_boundary`` (``WorkloadBoundary``), ``ci_roles``
    (``CiRoles`` or None).
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
        # A person bootstraps, with the admin keys: the CI roles do not exist yet.
        aws_provider(self, env.with_(emulator_session=None), stack_name)
        self.state_bucket: StateBucket | None = None
        if env.state.bootstrap_bucket == "create":
            self.state_bucket = StateBucket(self, "state-bucket", bucket_name=env.state.bucket)
            TerraformOutput(self, "state_bucket_name", value=self.state_bucket.bucket_name)
            TerraformOutput(self, "state_bucket_arn", value=self.state_bucket.bucket_arn)
        permissions = Scope(
            partition=DataAwsPartition(self, "partition").partition,
            region=env.region,
            account=DataAwsCallerIdentity(self, "account").account_id,
            env=env.name,
            prefix=env.name_prefix,
            state_bucket=env.state.bucket,
            repository=env.registry.repository_name,
        )
        self.exec_enabled = env.exec_enabled
        self.workload_boundary = self._workload_boundary(permissions)
        self.ci_roles = self._ci_roles(env, permissions) if env.ci.github_repository else None

    def _workload_boundary(self, scope: Scope) -> WorkloadBoundary:
        # Apart from the CI roles: the foundation's roles carry it even when CI does not exist.
        boundary = WorkloadBoundary(
            self,
            "workload-boundary",
            partition=scope.partition,
            region=scope.region,
            account=scope.account,
            env=scope.env,
            prefix=scope.prefix,
            repository=scope.repository,
            exec_enabled=self.exec_enabled,
        )
        TerraformOutput(self, "workload_boundary_arn", value=boundary.arn)
        return boundary

    def _ci_roles(self, env: EnvironmentConfig, scope: Scope) -> CiRoles:
        assert env.ci.github_repository and env.state.bucket  # checked by the caller and config
        oidc = GithubOidcProvider(self, "github-oidc", mode=env.ci.oidc_provider)
        prefix = env.name_prefix
        roles = CiRoles(
            self,
            "ci-roles",
            oidc_provider_arn=oidc.arn,
            repository=env.ci.github_repository,
            github_environment=env.ci.github_environment,
            permissions=scope,
            passable_roles=[
                execution_role_name(prefix),
                *(task_role_name(prefix, s.name) for s in env.services),
            ],
            flow_logs_role=flow_logs_role_name(prefix),
        )
        TerraformOutput(self, "ci_plan_role_arn", value=roles.plan_role_arn)
        TerraformOutput(self, "ci_deploy_role_arn", value=roles.deploy_role_arn)
        # Exactly what the workflows read: .github/workflows/pull-request.yml and deploy.yml.
        TerraformOutput(
            self,
            "ci_repository_variables",
            value={
                plan_role_variable(env.name): roles.plan_role_arn,
                "TF_STATE_BUCKET": env.state.bucket,
            },
        )
        TerraformOutput(
            self,
            "ci_environment_variables",
            value={env.ci.github_environment: {"AWS_DEPLOY_ROLE_ARN": roles.deploy_role_arn}},
        )
        # The roles trust only the customized subject format: make bootstrap prints the
        # gh api command that sets it (tools/deploy/ci_variables.py).
        TerraformOutput(
            self,
            "ci_oidc_subject_customization",
            value={
                "repository": env.ci.github_repository,
                "include_claim_keys": list(OIDC_SUBJECT_CLAIM_KEYS),
            },
        )
        return roles


def plan_role_variable(env_name: str) -> str:
    """``dev`` -> ``AWS_PLAN_ROLE_ARN_DEV``: the PR workflow reads the plan role from it."""
    return f"AWS_PLAN_ROLE_ARN_{env_name.upper()}"


def build_bootstrap(scope: Construct, env: EnvironmentConfig) -> BootstrapStack:
    """The environment's bootstrap stack; for the emulator its state sits beside the stack."""
    name = bootstrap_stack_name(env)
    return BootstrapStack(
        scope, name, env=env, state_file=emulator_state_file(name) if env.emulator else None
    )
