"""The config rejects what AWS would reject, naming the field and the value."""

import re

import pytest

from config import ConfigError, EnvironmentConfig, load_environment, settings_from_env
from config.schema import RESERVED_ENV_VARS, TLS12_POLICIES

AWS = {"TARGET": "aws", "TF_STATE_BUCKET": "my-state", "APP_VERSION": "1.2.3"}
ACCOUNT = "123456789012"
SECRET = f"arn:aws:secretsmanager:ap-northeast-1:{ACCOUNT}:secret:db"


def dev() -> EnvironmentConfig:
    return load_environment("dev", settings_from_env(AWS))


# --- certificates and WAF ---


def test_certificate_from_another_region_is_rejected():
    cert = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/abc"
    with pytest.raises(
        ConfigError,
        match=re.escape(f"dev.load_balancer.certificate_arn={cert!r}: in region 'us-east-1'"),
    ):
        dev().with_(load_balancer={"certificate_arn": cert})


def test_global_scope_waf_is_rejected():
    waf = f"arn:aws:wafv2:us-east-1:{ACCOUNT}:global/webacl/app/abc"
    with pytest.raises(
        ConfigError,
        match=re.escape(f"dev.load_balancer.waf_acl_arn={waf!r}: global (CloudFront) scope"),
    ):
        dev().with_(load_balancer={"waf_acl_arn": waf})


def test_waf_from_another_region_is_rejected():
    waf = f"arn:aws:wafv2:eu-west-1:{ACCOUNT}:regional/webacl/app/abc"
    with pytest.raises(
        ConfigError,
        match=re.escape(f"dev.load_balancer.waf_acl_arn={waf!r}: in region 'eu-west-1'"),
    ):
        dev().with_(load_balancer={"waf_acl_arn": waf})


# --- TLS policies ---


@pytest.mark.parametrize(
    "policy", ["ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-0-2021-06"]
)
def test_policy_allowing_tls_below_1_2_is_rejected(policy):
    with pytest.raises(
        ConfigError, match=re.escape(f"dev.load_balancer.ssl_policy={policy!r}: allows TLS below")
    ):
        dev().with_(load_balancer={"ssl_policy": policy})


def test_unknown_policy_is_rejected():
    # "TLS" in the name no longer suffices, as it did before the allow-list.
    policy = "ELBSecurityPolicy-TLS-1-2-Typo"
    with pytest.raises(
        ConfigError, match=re.escape(f"ssl_policy={policy!r}: unknown ALB security policy")
    ):
        dev().with_(load_balancer={"ssl_policy": policy})


@pytest.mark.parametrize("policy", sorted(TLS12_POLICIES))
def test_every_tls12_policy_is_accepted(policy):
    assert dev().with_(load_balancer={"ssl_policy": policy}).load_balancer.ssl_policy == policy


# --- names ---


def test_service_name_ending_in_a_hyphen_is_rejected():
    with pytest.raises(ConfigError, match=r"dev.backend.name='api-': must not end with '-'"):
        dev().with_(backend={"name": "api-"})


def test_service_name_too_long_for_its_target_group_is_rejected():
    # GIVEN "ecs-learn-dev-" (14) + 12 chars + a 7-char suffix = 33 > 32
    name = "a" * 12
    # WHEN it is the backend's name THEN the config, not synth, refuses it
    with pytest.raises(
        ConfigError,
        match=re.escape(f"dev.backend.name={name!r}: target group name 'ecs-learn-dev-{name}'"),
    ):
        dev().with_(backend={"name": name})


def test_longest_service_name_that_fits_is_accepted():
    assert dev().with_(backend={"name": "a" * 11}).backend.name == "a" * 11


def test_version_too_long_for_a_docker_tag_is_rejected():
    # "frontend-" (9) + 120 = 129 > 128
    version = "1.0.0-" + "r" * 114
    with pytest.raises(
        ConfigError, match=re.escape(f"dev.app_version={version!r}: image tag frontend-<version>")
    ):
        dev().with_(app_version=version)


# --- container environment ---


@pytest.mark.parametrize("name", RESERVED_ENV_VARS)
def test_environment_cannot_override_computed_variables(name):
    with pytest.raises(
        ConfigError, match=re.escape(f"dev.frontend.environment.{name}='x': {name} is computed")
    ):
        dev().with_(frontend={"environment": {name: "x"}})


def test_secret_cannot_override_computed_variables():
    with pytest.raises(ConfigError, match=r"dev.backend.secrets.PORT='arn:aws:secretsmanager:"):
        dev().with_(backend={"secrets": {"PORT": SECRET}})


@pytest.mark.parametrize("value", [None, 3, True])
def test_non_string_environment_value_is_rejected(value):
    with pytest.raises(ConfigError, match=re.escape(f"dev.backend.environment.LEVEL={value!r}: ")):
        dev().with_(backend={"environment": {"LEVEL": value}})


def test_variable_both_plain_and_secret_is_rejected():
    with pytest.raises(ConfigError, match=r"dev.backend.secrets.TOKEN='arn:.*also set in environ"):
        dev().with_(backend={"environment": {"TOKEN": "x"}, "secrets": {"TOKEN": SECRET}})


# --- tags ---


def test_tag_key_with_aws_prefix_is_rejected():
    with pytest.raises(ConfigError, match=r"dev.tags.AWS:team='AWS:team': the aws: prefix"):
        dev().with_(tags={"AWS:team": "x"})


def test_tag_key_longer_than_128_is_rejected():
    key = "k" * 129
    with pytest.raises(ConfigError, match=re.escape(f"dev.tags.{key}={key!r}: tag keys are 1-128")):
        dev().with_(tags={key: "x"})


def test_tag_value_longer_than_256_is_rejected():
    value = "v" * 257
    with pytest.raises(ConfigError, match=re.escape(f"dev.tags.team={value!r}: tag values")):
        dev().with_(tags={"team": value})


def test_more_tags_than_aws_allows_are_rejected():
    # GIVEN 46 own tags + Project, Environment, ManagedBy, Stack and Name = 51 > 50
    tags = {f"t{i}": "x" for i in range(46)}
    with pytest.raises(ConfigError, match=r"dev.tags=46: tags; .* makes 51 per resource"):
        dev().with_(tags=tags)


def test_tags_up_to_the_limit_are_accepted():
    tags = {f"t{i}": "x" for i in range(45)}
    assert len(dev().with_(tags=tags).tags) == 45


# --- subnet sizes ---


def test_private_subnet_too_small_for_max_capacity_is_rejected():
    # GIVEN /27 private subnets: 27 usable; 3 endpoints + 8 ALB + 2 x ceil(30 / 2) = 41
    network = {
        "private_subnet_cidrs": ("10.0.0.128/27", "10.0.0.192/27"),
    }
    scale = {"max_capacity": 30}
    with pytest.raises(
        ConfigError,
        match=r"dev.network.private_subnet_cidrs\[0\]='10.0.0.128/27': has 27 usable addresses "
        r"\(AWS reserves 5\), needs 41",
    ):
        dev().with_(network=network, frontend=scale, backend=scale)


def test_secrets_budget_one_more_endpoint_per_private_subnet():
    # GIVEN 27 usable = 3 endpoints + 8 ALB + 8 + 8 tasks: it fits exactly without secrets
    network = {"private_subnet_cidrs": ("10.0.0.128/27", "10.0.0.192/27")}
    scale = {"max_capacity": 16}
    env = dev().with_(network=network, frontend=scale, backend=scale)
    # WHEN a service gets a secret (and so a secretsmanager endpoint) THEN it no longer fits
    with pytest.raises(ConfigError, match=r"needs 28: 4 endpoint ENIs"):
        env.with_(backend={"secrets": {"DB_PASSWORD": SECRET}})


def test_alb_subnet_smaller_than_27_is_rejected():
    network = {"public_subnet_cidrs": ("10.0.0.0/28", "10.0.0.64/26")}
    with pytest.raises(
        ConfigError,
        match=r"dev.network.public_subnet_cidrs\[0\]='10.0.0.0/28': holds an ALB, and ELB needs",
    ):
        dev().with_(network=network)


# --- ECR repository per environment ---


def test_each_environment_has_its_own_repository():
    settings = settings_from_env(AWS)
    names = {load_environment(n, settings).registry.repository_name for n in settings.envs}
    assert names == {"ecr-learn-app-dev", "ecr-learn-app-prod"}


def test_invalid_repository_name_is_rejected():
    with pytest.raises(ConfigError, match=r"dev.registry.repository_name='Ecr_App': bad ECR name"):
        dev().with_(registry={"repository_name": "Ecr_App"})
