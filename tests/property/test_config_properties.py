"""Property-based tests over the config: accepted configs deploy, rejected ones explain.

The oracle tests check the validator both ways against a separate, plain
re-statement of AWS's rule: every value it accepts is valid, and every value
it rejects is invalid.
"""

from __future__ import annotations

import ipaddress
import math
import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config import (
    ConfigError,
    EnvironmentConfig,
    LoadBalancerConfig,
    NetworkConfig,
    RegistryConfig,
    ServiceConfig,
    StateConfig,
)
from tests.synth import synth
from tools.terraform import validate_many

REGIONS = ["us-east-1", "eu-west-1", "ap-northeast-1", "ap-southeast-2", "sa-east-1"]
CERT = "arn:aws:acm:{region}:123456789012:certificate/abc"
CHEAP = settings(max_examples=500, deadline=None)
FARGATE_CPUS = {256, 512, 1024, 2048, 4096, 8192, 16384}


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


# Four configs per example, validated together: one terraform init and validate for all
# eight stacks, since loading the provider's schema is most of a validate's time.
@settings(
    max_examples=1,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(envs=st.lists(valid_envs(), min_size=4, max_size=4))
def test_every_accepted_config_synthesizes_and_validates(envs):
    with tempfile.TemporaryDirectory() as tmp:
        stack_dirs = []
        for i, env in enumerate(envs):
            env = env.with_(images={"source": "tag"})
            result = synth([env], Path(tmp) / str(i))
            assert sorted(result.stacks) == [f"{env.name}-foundation", f"{env.name}-services"]
            stack_dirs += [Path(tmp) / str(i) / "stacks" / stack for stack in result.stacks]
        reports = validate_many(stack_dirs)
        for stack_dir, report in reports.items():
            assert report["valid"] is True, (stack_dir, report["diagnostics"])


BAD_FIELDS_LIST = [
    ("network", "vpc_cidr", st.text(max_size=20)),
    ("network", "public_subnet_cidrs", st.lists(st.text(max_size=18), max_size=3).map(tuple)),
    ("frontend", "port", st.integers(-10, 70000)),
    ("backend", "cpu", st.integers(0, 5000)),
    ("backend", "memory", st.integers(0, 40000)),
    (None, "log_retention_days", st.integers(-5, 4000)),
    (None, "app_version", st.text(max_size=12)),
    (None, "azs", st.lists(st.text(max_size=16), max_size=4).map(tuple)),
]
BAD_FIELDS = st.sampled_from(BAD_FIELDS_LIST)


def test_rejected_config_names_the_field_and_value():
    rejected: set[str] = set()

    @settings(max_examples=300, deadline=None)
    @given(data=st.data())
    def check(data):
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
            rejected.add(field)

    check()
    # A validator that rejected nothing would pass every example above: it must have
    # rejected values of all fields but at most one (all draws of a field may be valid).
    assert len(rejected) >= len(BAD_FIELDS_LIST) - 1, sorted(rejected)


# --- Oracles: plain re-statements of AWS's rules, independent of config/schema.py ---

BASE = EnvironmentConfig(
    name="dev",
    region="ap-northeast-1",
    azs=("ap-northeast-1a", "ap-northeast-1c"),
    app_version="1.2.3",
    state=StateConfig(backend="local"),
)


def accepted(build) -> bool:
    """Whether ``build()`` returns a config; a ``ConfigError`` means rejected."""
    try:
        build()
    except ConfigError:
        return False
    return True


def port_is_valid(port: object, other: int) -> bool:
    # An unprivileged TCP port given as a real int (not "3000", 3000.0 or True),
    # and not the other service's port.
    return type(port) is int and 1024 <= port < 2**16 and port != other


def fargate_size_is_valid(cpu: int, memory: int) -> bool:
    # AWS Fargate (Linux): memory is 2x-8x the vCPU count in GiB, whole GiB steps;
    # 0.25 vCPU also allows 0.5 GiB; 4 vCPU tops out at 30 GiB; 8 vCPU steps by
    # 4 GiB up to 60 GiB, 16 vCPU by 8 GiB up to 120 GiB.
    gib, vcpu = memory / 1024, cpu / 1024
    if cpu in FARGATE_CPUS - {8192, 16384}:
        top = 30 if cpu == 4096 else 8 * vcpu
        return (memory % 1024 == 0 and 2 * vcpu <= gib <= top) or (cpu, memory) == (256, 512)
    if cpu == 8192:
        return memory % 4096 == 0 and 16 <= gib <= 60
    if cpu == 16384:
        return memory % 8192 == 0 and 32 <= gib <= 120
    return False


def service_name_is_valid(name: str, env: str) -> bool:
    # A DNS-label-like name that leaves its target group name
    # "ecs-learn-<env>-<service>" room for a 7-char suffix within ELB's 32.
    return (
        0 < len(name) <= 20
        and name[0] in string.ascii_lowercase
        and name[-1] != "-"
        and set(name) <= set(string.ascii_lowercase + string.digits + "-")
        and len("ecs-learn-" + env + "-" + name) + 7 <= 32
    )


def repository_name_is_valid(name: str) -> bool:
    # ECR: 2-256 chars; '/'-separated parts of lowercase alphanumerics joined by
    # single '.', '_' or '-'.
    def part_ok(part: str) -> bool:
        alnum = string.ascii_lowercase + string.digits
        if not part or part[0] not in alnum or part[-1] not in alnum:
            return False
        previous_is_separator = False
        for char in part:
            if char in "._-":
                if previous_is_separator:
                    return False
                previous_is_separator = True
            elif char in alnum:
                previous_is_separator = False
            else:
                return False
        return True

    return 2 <= len(name) <= 256 and all(part_ok(p) for p in name.split("/"))


def private_subnet_is_big_enough(prefix: int, max_tasks: int, azs: int = 2) -> bool:
    # An ALB subnet is /16 to /27 (ELB). Per AZ it holds 3 interface endpoint ENIs,
    # 8 internal ALB ENIs, and each service's max_capacity spread over the AZs;
    # AWS keeps 5 addresses of every subnet.
    free = 2 ** (32 - prefix) - 5
    return 16 <= prefix <= 27 and free >= 3 + 8 + 2 * math.ceil(max_tasks / azs)


PORTS = st.one_of(
    st.integers(-10, 70000),
    st.sampled_from([1023, 1024, 8080, 65535, 65536]),
    st.sampled_from(["3000", 3000.0, True, None]),
)


@CHEAP
@given(port=PORTS)
def test_port_accepted_exactly_when_valid(port):
    # GIVEN the backend on 8080, WHEN the frontend port is set, THEN the oracle agrees.
    ok = accepted(lambda: BASE.with_(frontend={"port": port}))
    assert ok == port_is_valid(port, BASE.backend.port), port


@CHEAP
@given(name=st.text(alphabet="abz019-_A.", max_size=24))
def test_service_name_accepted_exactly_when_valid(name):
    ok = accepted(lambda: BASE.with_(backend={"name": name}))
    assert ok == (service_name_is_valid(name, "dev") and name != "frontend"), name


@CHEAP
@given(name=st.text(alphabet="ab09._-/A", max_size=12))
def test_repository_name_accepted_exactly_when_valid(name):
    ok = accepted(lambda: RegistryConfig(repository_name=name))
    assert ok == repository_name_is_valid(name), name


@CHEAP
@given(prefix=st.integers(0, 32))
def test_vpc_prefix_accepted_exactly_when_valid(prefix):
    # AWS: a VPC is /16 (65536 addresses) to /28 (16 addresses).
    cidr = str(ipaddress.IPv4Network(f"10.0.0.0/{prefix}", strict=False))
    ok = accepted(
        lambda: NetworkConfig(vpc_cidr=cidr, public_subnet_cidrs=(), private_subnet_cidrs=())
    )
    assert ok == (16 <= 2 ** (32 - prefix) <= 65536), cidr


@CHEAP
@given(prefix=st.integers(17, 30), max_tasks=st.integers(1, 100))
def test_private_subnet_size_accepted_exactly_when_big_enough(prefix, max_tasks):
    # GIVEN a /16 VPC whose second private subnet has the drawn size
    network = {
        "vpc_cidr": "10.0.0.0/16",
        "public_subnet_cidrs": ("10.0.0.0/24", "10.0.1.0/24"),
        "private_subnet_cidrs": ("10.0.2.0/24", f"10.0.128.0/{prefix}"),
    }
    services = {"min_capacity": 1, "desired_count": 1, "max_capacity": max_tasks}
    # WHEN both services may scale to max_tasks
    ok = accepted(lambda: BASE.with_(network=network, frontend=services, backend=services))
    # THEN the config accepts it exactly when AWS could place every ENI
    assert ok == (
        private_subnet_is_big_enough(prefix, max_tasks)
        and private_subnet_is_big_enough(24, max_tasks)
    ), (prefix, max_tasks)


def test_fargate_size_grid_accepted_exactly_when_valid():
    # Exhaustive, so stronger than sampling: every cpu value AWS knows (and a few it
    # does not) against every 256 MiB step up to 128 GiB.
    for cpu in sorted(FARGATE_CPUS | {0, 128, 3072, 32768}):
        for memory in range(0, 131073, 256):
            ok = accepted(lambda: ServiceConfig(name="web", port=3000, cpu=cpu, memory=memory))  # noqa: B023
            assert ok == fargate_size_is_valid(cpu, memory), (cpu, memory)
