"""Property-based tests over the config: accepted configs deploy, rejected ones explain."""

from __future__ import annotations

import ipaddress
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config import (
    ConfigError,
    EnvironmentConfig,
    LoadBalancerConfig,
    NetworkConfig,
    ServiceConfig,
    StateConfig,
)
from tests.synth import synth
from tools.terraform import validate_many

REGIONS = ["us-east-1", "eu-west-1", "ap-northeast-1", "ap-southeast-2", "sa-east-1"]
CERT = "arn:aws:acm:{region}:123456789012:certificate/abc"


@st.composite
def valid_envs(draw) -> EnvironmentConfig:
    region = draw(st.sampled_from(REGIONS))
    az_count = draw(st.sampled_from([2, 3]))
    letters = draw(st.permutations("abcdef"))[:az_count]
    # Any /24 in the private ranges, split into one public and one private block per AZ.
    base = draw(
        st.sampled_from(["10.{a}.{b}.0/24", "172.{c}.{b}.0/24", "192.168.{b}.0/24"])
    ).format(a=draw(st.integers(0, 255)), b=draw(st.integers(0, 255)), c=draw(st.integers(16, 31)))
    vpc = ipaddress.IPv4Network(base)
    blocks = [str(s) for s in vpc.subnets(new_prefix=26 if az_count == 2 else 27)]
    https = draw(st.booleans())
    frontend_port = draw(st.integers(1024, 65535))
    backend_port = draw(st.integers(1024, 65535).filter(lambda p: p != frontend_port))
    return EnvironmentConfig(
        name=draw(st.sampled_from(["dev", "stg", "qa1"])),
        region=region,
        azs=tuple(f"{region}{x}" for x in letters),
        app_version=draw(st.sampled_from(["1.0.0", "0.3.1-rc.2", "deadbeef"])),
        state=StateConfig(backend="s3", bucket="prop-state", region=region),
        network=NetworkConfig(
            vpc_cidr=str(vpc),
            public_subnet_cidrs=tuple(blocks[:az_count]),
            private_subnet_cidrs=tuple(blocks[az_count : 2 * az_count]),
            flow_logs=draw(st.booleans()),
        ),
        frontend=ServiceConfig(name="frontend", port=frontend_port),
        backend=ServiceConfig(name="backend", port=backend_port),
        load_balancer=LoadBalancerConfig(
            certificate_arn=CERT.format(region=region) if https else None,
            access_logs=draw(st.booleans()),
        ),
        log_kms_encryption=draw(st.booleans()),
    )


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(env=valid_envs())
def test_every_accepted_config_synthesizes_and_validates(env):
    env = env.with_(images={"source": "tag"})
    with tempfile.TemporaryDirectory() as tmp:
        result = synth([env], Path(tmp))
        assert sorted(result.stacks) == [f"{env.name}-foundation", f"{env.name}-services"]
        reports = validate_many([Path(tmp) / "stacks" / stack for stack in result.stacks])
        for report in reports.values():
            assert report["valid"] is True, (env, report["diagnostics"])


BAD_FIELDS = st.sampled_from(
    [
        ("network", "vpc_cidr", st.text(max_size=20)),
        ("network", "public_subnet_cidrs", st.lists(st.text(max_size=18), max_size=3).map(tuple)),
        ("frontend", "port", st.integers(-10, 70000)),
        ("backend", "cpu", st.integers(0, 5000)),
        ("backend", "memory", st.integers(0, 40000)),
        (None, "log_retention_days", st.integers(-5, 4000)),
        (None, "app_version", st.text(max_size=12)),
        (None, "azs", st.lists(st.text(max_size=16), max_size=4).map(tuple)),
    ]
)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_rejected_config_names_the_field_and_value(data):
    base = data.draw(valid_envs())
    section, field, values = data.draw(BAD_FIELDS)
    value = data.draw(values)
    changes = {field: value} if section is None else {section: {field: value}}
    try:
        base.with_(**changes)
    except ConfigError as exc:
        # THEN the one error names the field and its value, and mentions what was changed.
        assert str(exc).startswith(f"invalid config: {exc.field}={exc.value!r}: ")
        assert exc.field.startswith(base.name) or exc.field == "name"
        assert field in str(exc), str(exc)
