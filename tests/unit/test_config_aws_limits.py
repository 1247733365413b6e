"""The config rejects what AWS would reject, naming the field and the value."""

import re
from typing import Any

import pytest

from config import ConfigError, EnvironmentConfig, load_environment, settings_from_env
from config.schema import RESERVED_ENV_VARS, TLS12_POLICIES

AWS = {"TARGET": "aws", "TF_STATE_BUCKET": "my-state", "APP_VERSION": "1.2.3"}
ACCOUNT = "123456789012"
SECRET = f"arn:aws:secretsmanager:ap-northeast-1:{ACCOUNT}:secret:db"


def dev() -> EnvironmentConfig:
    return load_environment("dev", settings_from_env(AWS))


# What each case changes in ``dev`` and the one error that must name the field and value.
US_CERT = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/abc"
GLOBAL_WAF = f"arn:aws:wafv2:us-east-1:{ACCOUNT}:global/webacl/app/abc"
EU_WAF = f"arn:aws:wafv2:eu-west-1:{ACCOUNT}:regional/webacl/app/abc"
UNKNOWN_POLICY = "ELBSecurityPolicy-TLS-1-2-Typo"  # "TLS" in the name no longer suffices
LONG_NAME = "a" * 12  # "ecs-learn-dev-" (14) + 12 chars + a 7-char suffix = 33 > 32
LONG_VERSION = "1.0.0-" + "r" * 114  # "frontend-" (9) + 120 = 129 > 128
LONG_KEY, LONG_VALUE = "k" * 129, "v" * 257
SMALL_PRIVATE = ("10.0.0.128/27", "10.0.0.192/27")
REJECTED = [
    pytest.param(
        {"load_balancer": {"certificate_arn": US_CERT}},
        re.escape(f"dev.load_balancer.certificate_arn={US_CERT!r}: in region 'us-east-1'"),
        id="certificate from another region",
    ),
    pytest.param(
        {"load_balancer": {"waf_acl_arn": GLOBAL_WAF}},
        re.escape(f"dev.load_balancer.waf_acl_arn={GLOBAL_WAF!r}: global (CloudFront) scope"),
        id="global scope WAF",
    ),
    pytest.param(
        {"load_balancer": {"waf_acl_arn": EU_WAF}},
        re.escape(f"dev.load_balancer.waf_acl_arn={EU_WAF!r}: in region 'eu-west-1'"),
        id="WAF from another region",
    ),
    pytest.param(
        {"load_balancer": {"ssl_policy": UNKNOWN_POLICY}},
        re.escape(f"ssl_policy={UNKNOWN_POLICY!r}: unknown ALB security policy"),
        id="unknown TLS policy",
    ),
    pytest.param(
        {"backend": {"name": "api-"}},
        r"dev.backend.name='api-': must not end with '-'",
        id="service name ending in a hyphen",
    ),
    pytest.param(
        {"backend": {"name": LONG_NAME}},
        re.escape(f"dev.backend.name={LONG_NAME!r}: target group name 'ecs-learn-dev-{LONG_NAME}'"),
        id="service name too long for its target group",
    ),
    pytest.param(
        {"app_version": LONG_VERSION},
        re.escape(f"dev.app_version={LONG_VERSION!r}: image tag frontend-<version>"),
        id="version too long for a docker tag",
    ),
    pytest.param(
        {"backend": {"secrets": {"PORT": SECRET}}},
        r"dev.backend.secrets.PORT='arn:aws:secretsmanager:",
        id="secret overriding a computed variable",
    ),
    pytest.param(
        {"backend": {"environment": {"TOKEN": "x"}, "secrets": {"TOKEN": SECRET}}},
        r"dev.backend.secrets.TOKEN='arn:.*also set in environ",
        id="variable both plain and secret",
    ),
    pytest.param(
        {"tags": {"AWS:team": "x"}},
        r"dev.tags.AWS:team='AWS:team': the aws: prefix",
        id="tag key with the aws: prefix",
    ),
    pytest.param(
        {"tags": {LONG_KEY: "x"}},
        re.escape(f"dev.tags.{LONG_KEY}={LONG_KEY!r}: tag keys are 1-128"),
        id="tag key longer than 128",
    ),
    pytest.param(
        {"tags": {"team": LONG_VALUE}},
        re.escape(f"dev.tags.team={LONG_VALUE!r}: tag values"),
        id="tag value longer than 256",
    ),
    pytest.param(
        # 45 own tags + Project, Environment, ManagedBy, Stack, Name, ecs-learn:path = 51 > 50
        {"tags": {f"t{i}": "x" for i in range(45)}},
        r"dev.tags=45: tags; .* makes 51 per resource",
        id="more tags than AWS allows",
    ),
    pytest.param(
        {"tags": {"ecs-learn:path": "mine"}},
        re.escape("dev.tags.ecs-learn:path='ecs-learn:path': reserved"),
        id="the identity tag key",
    ),
    pytest.param(
        # /27 private subnets: 27 usable; 3 endpoints + 8 ALB + 2 x ceil(30 / 2) = 41
        {
            "network": {"private_subnet_cidrs": SMALL_PRIVATE},
            "frontend": {"max_capacity": 30},
            "backend": {"max_capacity": 30},
        },
        r"dev.network.private_subnet_cidrs\[0\]='10.0.0.128/27': has 27 usable addresses "
        r"\(AWS reserves 5\), needs 41",
        id="private subnet too small for max_capacity",
    ),
    pytest.param(
        {"network": {"public_subnet_cidrs": ("10.0.0.0/28", "10.0.0.64/26")}},
        r"dev.network.public_subnet_cidrs\[0\]='10.0.0.0/28': holds an ALB, and ELB needs",
        id="ALB subnet smaller than a /27",
    ),
    pytest.param(
        {"registry": {"repository_name": "Ecr_App"}},
        r"dev.registry.repository_name='Ecr_App': bad ECR name",
        id="invalid repository name",
    ),
]


@pytest.mark.parametrize(("changes", "match"), REJECTED)
def test_what_aws_would_reject_is_rejected(changes: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        dev().with_(**changes)


@pytest.mark.parametrize(
    "policy", ["ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-0-2021-06"]
)
def test_policy_allowing_tls_below_1_2_is_rejected(policy):
    with pytest.raises(
        ConfigError, match=re.escape(f"dev.load_balancer.ssl_policy={policy!r}: allows TLS below")
    ):
        dev().with_(load_balancer={"ssl_policy": policy})


@pytest.mark.parametrize("policy", sorted(TLS12_POLICIES))
def test_every_tls12_policy_is_accepted(policy):
    assert dev().with_(load_balancer={"ssl_policy": policy}).load_balancer.ssl_policy == policy


def test_longest_service_name_that_fits_is_accepted():
    assert dev().with_(backend={"name": "a" * 11}).backend.name == "a" * 11


@pytest.mark.parametrize("name", RESERVED_ENV_VARS)
def test_environment_cannot_override_computed_variables(name):
    with pytest.raises(
        ConfigError, match=re.escape(f"dev.frontend.environment.{name}='x': {name} is computed")
    ):
        dev().with_(frontend={"environment": {name: "x"}})


@pytest.mark.parametrize("value", [None, 3, True])
def test_non_string_environment_value_is_rejected(value):
    with pytest.raises(ConfigError, match=re.escape(f"dev.backend.environment.LEVEL={value!r}: ")):
        dev().with_(backend={"environment": {"LEVEL": value}})


def test_tags_up_to_the_limit_are_accepted():
    tags = {f"t{i}": "x" for i in range(44)}
    assert len(dev().with_(tags=tags).tags) == 44


def test_secrets_budget_one_more_endpoint_per_private_subnet():
    # GIVEN 27 usable = 3 endpoints + 8 ALB + 8 + 8 tasks: it fits exactly without secrets
    network = {"private_subnet_cidrs": SMALL_PRIVATE}
    scale = {"max_capacity": 16}
    env = dev().with_(network=network, frontend=scale, backend=scale)
    # WHEN a service gets a secret (and so a secretsmanager endpoint) THEN it no longer fits
    with pytest.raises(ConfigError, match=r"needs 28: 4 endpoint ENIs"):
        env.with_(backend={"secrets": {"DB_PASSWORD": SECRET}})


def test_each_environment_has_its_own_repository():
    settings = settings_from_env(AWS)
    names = {load_environment(n, settings).registry.repository_name for n in settings.envs}
    assert names == {"ecr-learn-app-dev", "ecr-learn-app-prod"}
