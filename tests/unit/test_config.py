"""Config validation: every bad input gets one error naming the field and the value."""

import re

import pytest

from config import (
    ConfigError,
    StateConfig,
    load_environment,
    settings_from_env,
)
from config.loader import LOCAL_STATE_BUCKET

AWS = {"TARGET": "aws", "TF_STATE_BUCKET": "my-state", "APP_VERSION": "1.2.3"}


def dev(**settings: str):
    return load_environment("dev", settings_from_env({**AWS, **settings}))


def test_dev_defaults_follow_the_seed():
    env = dev()
    assert env.network.vpc_cidr == "10.0.0.0/24"
    assert env.network.public_subnet_cidrs == ("10.0.0.0/26", "10.0.0.64/26")
    assert env.network.private_subnet_cidrs == ("10.0.0.128/26", "10.0.0.192/26")
    assert (env.frontend.port, env.backend.port) == (3000, 8080)
    assert env.registry.repository_name == "ecr-learn-app-dev"


def test_prod_is_stricter_than_dev():
    prod = load_environment("prod", settings_from_env(AWS))
    assert prod.load_balancer.deletion_protection and not dev().load_balancer.deletion_protection
    assert prod.network.flow_logs and not dev().network.flow_logs
    assert prod.log_retention_days > dev().log_retention_days


def test_s3_state_uses_the_environment_region_and_bucket():
    assert dev().state == StateConfig(backend="s3", bucket="my-state", region="ap-northeast-1")


def test_local_target_uses_the_emulator_bucket_path_style_and_tags():
    env = load_environment("dev", settings_from_env({"APP_VERSION": "1.2.3"}))
    assert (env.state.bucket, env.state.path_style) == (LOCAL_STATE_BUCKET, True)
    assert env.images.source == "tag"


def test_version_falls_back_to_cdktf_context():
    settings = settings_from_env({"TARGET": "aws", "TF_STATE_BUCKET": "b"}, {"appVersion": "2.0.0"})
    assert settings.app_version == "2.0.0"


@pytest.mark.parametrize("version", ["1.2.3", "v1.2.3", "1.2.3-rc.1", "0abc123", "a" * 40])
def test_semver_and_git_sha_versions_are_accepted(version):
    assert dev(APP_VERSION=version).app_version == version


@pytest.mark.parametrize("version", ["latest", "1.2", "1.2.3+build.5", "01.2.3", "ABCDEF0", "x y"])
def test_invalid_version_tag_is_rejected(version):
    with pytest.raises(ConfigError, match=re.escape(f"APP_VERSION={version!r}: must be semver")):
        dev(APP_VERSION=version)


def test_missing_version_is_rejected():
    with pytest.raises(ConfigError, match=r"appVersion \(cdktf.json context\)=None: required"):
        settings_from_env({"TARGET": "aws", "TF_STATE_BUCKET": "b"}, {})


def test_unknown_environment_is_rejected():
    with pytest.raises(ConfigError, match=r"ENVS='staging': unknown environment"):
        settings_from_env({**AWS, "ENVS": "dev,staging"})


def test_aws_target_without_state_bucket_is_rejected():
    with pytest.raises(ConfigError, match=r"TF_STATE_BUCKET=None: required when TARGET=aws"):
        settings_from_env({"TARGET": "aws", "APP_VERSION": "1.0.0"})


def test_unknown_target_is_rejected():
    with pytest.raises(ConfigError, match=r"TARGET='gcp'"):
        settings_from_env({**AWS, "TARGET": "gcp"})


def test_invalid_state_bucket_name_is_rejected():
    with pytest.raises(ConfigError, match=r"dev.state.bucket='Bad_Bucket'"):
        dev(TF_STATE_BUCKET="Bad_Bucket")


def test_overlapping_subnets_are_rejected():
    env = dev()
    changes = {"network": dict(private_subnet_cidrs=("10.0.0.128/26", "10.0.0.32/27"))}
    with pytest.raises(
        ConfigError,
        match=r"dev.network.private_subnet_cidrs\[1\]='10.0.0.32/27': overlaps "
        r"dev.network.public_subnet_cidrs\[0\]='10.0.0.0/26'",
    ):
        env.with_(**changes)


def test_subnet_outside_the_vpc_is_rejected():
    env = dev()
    changes = {"network": dict(public_subnet_cidrs=("10.0.0.0/26", "10.0.1.0/26"))}
    with pytest.raises(
        ConfigError,
        match=r"public_subnet_cidrs\[1\]='10.0.1.0/26': outside dev.network.vpc_cidr='10.0.0.0/24'",
    ):
        env.with_(**changes)


def test_oversized_subnet_is_rejected():
    env = dev()
    changes = {"network": dict(public_subnet_cidrs=("10.0.0.0/23", "10.0.0.64/26"))}
    with pytest.raises(
        ConfigError,
        match=r"public_subnet_cidrs\[0\]='10.0.0.0/23': outside dev.network.vpc_cidr='10.0.0.0/24'",
    ):
        env.with_(**changes)


def test_oversized_vpc_is_rejected():
    env = dev()
    changes = {"network": dict(vpc_cidr="10.0.0.0/8")}
    with pytest.raises(ConfigError, match=r"vpc_cidr='10.0.0.0/8': VPC prefix must be /16 to /28"):
        env.with_(**changes)


def test_malformed_cidr_is_rejected():
    env = dev()
    changes = {"network": dict(vpc_cidr="10.0.0.1/24")}
    with pytest.raises(ConfigError, match=r"vpc_cidr='10.0.0.1/24': not an IPv4 CIDR"):
        env.with_(**changes)


def test_wrong_az_count_is_rejected():
    env = dev()
    changes = {"azs": ("ap-northeast-1a",)}
    with pytest.raises(ConfigError, match=r"dev.azs=\('ap-northeast-1a',\): needs 2 or 3"):
        env.with_(**changes)


def test_az_from_another_region_is_rejected():
    env = dev()
    changes = {"azs": ("ap-northeast-1a", "us-east-1b")}
    with pytest.raises(ConfigError, match=r"dev.azs\[1\]='us-east-1b': not an AZ of region"):
        env.with_(**changes)


def test_subnet_count_must_match_az_count():
    env = dev()
    changes = {"azs": ("ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d")}
    with pytest.raises(
        ConfigError, match=r"public_subnet_cidrs=.*needs one subnet per AZ \(azs has 3\)"
    ):
        env.with_(**changes)


def test_clashing_ports_are_rejected():
    env = dev()
    changes = {"backend": {"port": 3000}}
    with pytest.raises(
        ConfigError, match=r"dev.backend.port=3000: clashes with dev.frontend.port=3000"
    ):
        env.with_(**changes)


def test_privileged_port_is_rejected():
    env = dev()
    changes = {"frontend": {"port": 80}}
    with pytest.raises(ConfigError, match=r"dev.frontend.port=80"):
        env.with_(**changes)


def test_invalid_fargate_size_is_rejected():
    env = dev()
    changes = {"backend": {"cpu": 256, "memory": 4096}}
    with pytest.raises(ConfigError, match=r"dev.backend.memory=4096: not a valid Fargate memory"):
        env.with_(**changes)


def test_desired_count_outside_scaling_range_is_rejected():
    env = dev()
    changes = {"frontend": {"desired_count": 9}}
    with pytest.raises(ConfigError, match=r"dev.frontend.desired_count=9: must be between"):
        env.with_(**changes)


def test_non_acm_certificate_is_rejected():
    env = dev()
    changes = {"load_balancer": {"certificate_arn": "not-an-arn"}}
    with pytest.raises(ConfigError, match=r"certificate_arn='not-an-arn': not an ACM ARN"):
        env.with_(**changes)


def test_unsupported_log_retention_is_rejected():
    with pytest.raises(ConfigError, match=r"dev.log_retention_days=10"):
        dev().with_(log_retention_days=10)


def test_secret_must_be_a_secrets_manager_arn():
    with pytest.raises(ConfigError, match=r"dev.backend.secrets.DB_PASSWORD='plain-text'"):
        dev().with_(backend={"secrets": {"DB_PASSWORD": "plain-text"}})


def test_deletion_protection_off_turns_prod_protection_off():
    # GIVEN a deliberate teardown THEN prod is synthesized without ALB deletion protection.
    prod = load_environment("prod", settings_from_env({**AWS, "DELETION_PROTECTION": "off"}))
    assert prod.load_balancer.deletion_protection is False


def test_deletion_protection_on_keeps_each_environments_choice():
    prod = load_environment("prod", settings_from_env({**AWS, "DELETION_PROTECTION": "on"}))
    assert prod.load_balancer.deletion_protection is True


def test_unknown_deletion_protection_value_is_rejected():
    with pytest.raises(ConfigError, match=r"DELETION_PROTECTION.*'no'.*'on' \(default\) or 'off'"):
        settings_from_env({**AWS, "DELETION_PROTECTION": "no"})
