"""The identity GitHub Actions uses: the OIDC provider and a plan and a deploy role.

No long-lived keys: a workflow job exchanges GitHub's OIDC token for a role's
short-lived credentials. Each role's trust policy names the one repository
and the token subjects allowed (pull requests and the default branch for the
read-only plan role, the GitHub environment of the deploy job *on the default
branch* for the deploy role), so other repositories, other branches and other
environments cannot assume them; GitHub gives fork pull requests no token at all.

GitHub's default subject of an environment job, ``repo:<o>/<r>:environment:<name>``,
names no branch: any branch's job that names the environment would get it. So
the trust expects the repository's customized subject (``OIDC_SUBJECT_CLAIM_KEYS``,
set once with GitHub's REST API; ``make bootstrap`` prints the command):
``repo:<o>/<r>:<context>:ref:<git ref>``, where ``<context>`` is what the default
subject holds after the repository (``environment:<name>``, ``pull_request``,
``ref:<git ref>``). Until it is set, no token matches and the roles refuse all.
"""

from __future__ import annotations

from typing import Literal

from cdktf_cdktf_provider_aws.data_aws_iam_openid_connect_provider import (
    DataAwsIamOpenidConnectProvider,
)
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment

from constructs import Construct
from constructs.ci_policies import (
    Scope,
    as_json,
    deploy_policy,
    github_trust_policy,
    plan_policy,
    read_policy,
    split_deploy_policy,
)

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
# The repository's OIDC subject template (include_claim_keys, with use_default=false):
# "ref" puts the git ref into every subject, environment jobs included.
OIDC_SUBJECT_CLAIM_KEYS = ("repo", "context", "ref")
# Roles live under their own IAM path, so the deploy role's ``role/<prefix>-*``
# permissions can never reach the CI roles themselves.
CI_ROLE_PATH = "/ci/"


def deploy_role_name(prefix: str) -> str:
    """The name of ``prefix``'s CI deploy role (under ``CI_ROLE_PATH``)."""
    return f"{prefix}-ci-deploy"


def deploy_role_arn(*, partition: str, account: str, prefix: str) -> str:
    """The ARN of ``prefix``'s CI deploy role, which ``CiRoles`` creates in the bootstrap."""
    return f"arn:{partition}:iam::{account}:role{CI_ROLE_PATH}{deploy_role_name(prefix)}"


class GithubOidcProvider(Construct):
    """The account's GitHub Actions OIDC provider: created here, or an ``existing`` one.

    An account has at most one provider per URL, so with several environments
    in one account only one bootstrap creates it (``mode="create"``, the
    default in the config) and the others look it up (``mode="existing"``).

    Attributes: ``arn``.
    """

    def __init__(self, scope: Construct, id_: str, *, mode: Literal["create", "existing"]) -> None:
        super().__init__(scope, id_)
        if mode == "create":
            provider = IamOpenidConnectProvider(
                self,
                "provider",
                url=GITHUB_OIDC_URL,
                client_id_list=["sts.amazonaws.com"],
                # AWS trusts GitHub's certificate authority itself; the provider still
                # wants a thumbprint, and these are GitHub's published ones.
                thumbprint_list=[
                    "6938fd4d98bab03faadb97b34396831e3780aea1",
                    "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
                ],
            )
            self.arn = provider.arn
        else:
            self.arn = DataAwsIamOpenidConnectProvider(self, "provider", url=GITHUB_OIDC_URL).arn


class CiRoles(Construct):
    """A read-only plan role and a deploy role for one environment.

    ``repository`` is ``owner/repo``; the plan role trusts its pull requests and
    jobs on its ``default_branch`` (default ``main``, where scheduled drift
    checks run), the deploy role only its jobs in GitHub environment
    ``github_environment`` run on ``default_branch``. Subjects are in the
    customized format of ``OIDC_SUBJECT_CLAIM_KEYS``.
    ``passable_roles`` are the task and execution role names the deploy role may
    pass to ECS tasks; ``flow_logs_role`` the one it may pass to VPC flow logs.

    Attributes: ``plan_role_arn``, ``deploy_role_arn``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        oidc_provider_arn: str,
        repository: str,
        github_environment: str,
        permissions: Scope,
        passable_roles: list[str],
        flow_logs_role: str,
        default_branch: str = "main",
    ) -> None:
        super().__init__(scope, id_)
        if not passable_roles:
            raise ValueError("passable_roles=[]: the deploy role must pass the task roles")
        prefix = permissions.prefix
        main = f"refs/heads/{default_branch}"
        # The reads both roles need, once, as a managed policy: it does not count towards
        # IAM's 10,240-character limit on a role's inline policies.
        self._reads = IamPolicy(
            self,
            "read-policy",
            name=f"{prefix}-ci-read",
            path=CI_ROLE_PATH,
            description=f"Read {prefix}'s resources for terraform plan and make doctor",
            policy=as_json(read_policy(permissions)),
        )
        plan = self._role(
            "plan",
            name=f"{prefix}-ci-plan",
            trust=github_trust_policy(
                oidc_provider_arn=oidc_provider_arn,
                repository=repository,
                # The daily drift check (.github/workflows/drift.yml) runs on the default
                # branch with no environment: its context is the ref, then the ref claim.
                subjects=[f"ref:{main}:ref:{main}"],
                # A pull request's ref is refs/pull/<number>/merge, and the number is not
                # known in advance: the one pattern, with a fixed context, prefix and suffix.
                subject_patterns=["pull_request:ref:refs/pull/*/merge"],
            ),
            policy=as_json(plan_policy(permissions)),
            description=f"terraform plan of {prefix} for pull requests of {repository}",
        )
        inline, network = split_deploy_policy(
            deploy_policy(permissions, passable_roles=passable_roles, flow_logs_role=flow_logs_role)
        )
        deploy = self._role(
            "deploy",
            name=deploy_role_name(prefix),
            trust=github_trust_policy(
                oidc_provider_arn=oidc_provider_arn,
                repository=repository,
                # The environment alone names no branch: the ref keeps feature branches out.
                subjects=[f"environment:{github_environment}:ref:{main}"],
            ),
            policy=as_json(inline),
            description=f"deploy {prefix} from {repository} ({github_environment})",
        )
        # The deploy role's EC2 statements, apart: inline they would pass IAM's limit.
        network_policy = IamPolicy(
            self,
            "deploy-network-policy",
            name=f"{prefix}-ci-deploy-network",
            path=CI_ROLE_PATH,
            description=f"Create and change {prefix}'s network (EC2) for its deploy role",
            policy=as_json(network),
        )
        IamRolePolicyAttachment(
            self, "deploy-network", role=deploy.name, policy_arn=network_policy.arn
        )
        self.plan_role_arn = plan.arn
        self.deploy_role_arn = deploy.arn

    def _role(
        self, id_: str, *, name: str, trust: dict[str, object], policy: str, description: str
    ) -> IamRole:
        role = IamRole(
            self,
            f"{id_}-role",
            name=name,
            path=CI_ROLE_PATH,
            description=description,
            assume_role_policy=as_json(trust),
            max_session_duration=3600,
        )
        IamRolePolicy(self, f"{id_}-policy", role=role.id, name=f"{id_}-permissions", policy=policy)
        IamRolePolicyAttachment(self, f"{id_}-reads", role=role.name, policy_arn=self._reads.arn)
        return role
