"""Frozen dataclasses describing one environment, each able to validate itself.

Every ``validate`` takes the dotted path of the object (``dev.network``) so an
error names the exact field, for example ``dev.network.private_subnet_cidrs[1]``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from config.errors import ConfigError

# Fargate task sizes AWS accepts: cpu units -> allowed memory (MiB).
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
}

# A release version is semver (no build metadata: Docker tags forbid '+') or a git sha.
_SEMVER = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z][0-9A-Za-z.-]*)?$")
_GIT_SHA = re.compile(r"^[0-9a-f]{7,40}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_ENV_NAME = re.compile(r"^[a-z][a-z0-9]{1,11}$")
_REPO_NAME = re.compile(r"^[a-z0-9]+(?:[._/-][a-z0-9]+)*$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:.+$")
_LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)
_ENV_VAR = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def validate_version(value: object, path: str = "app_version") -> str:
    """Return ``value`` if it is a semver (``1.2.3``, ``v1.2.3-rc.1``) or a git sha."""
    if not isinstance(value, str) or not value:
        raise ConfigError(path, value, "required; set APP_VERSION or the appVersion context")
    if not (_SEMVER.match(value) or _GIT_SHA.match(value)):
        raise ConfigError(
            path, value, "must be semver like 1.2.3 or 1.2.3-rc.1, or a 7-40 char git sha"
        )
    return value


def _network(value: object, path: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(value, strict=True)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise ConfigError(path, value, f"not an IPv4 CIDR block ({exc})") from None


@dataclass(frozen=True)
class NetworkConfig:
    """The VPC and its subnets, one public and one private subnet per AZ.

    Defaults are the seed's: VPC ``10.0.0.0/24`` split into four /26 blocks.
    ``flow_logs`` (default off) sends VPC flow logs to CloudWatch Logs.
    """

    vpc_cidr: str = "10.0.0.0/24"
    public_subnet_cidrs: tuple[str, ...] = ("10.0.0.0/26", "10.0.0.64/26")
    private_subnet_cidrs: tuple[str, ...] = ("10.0.0.128/26", "10.0.0.192/26")
    flow_logs: bool = False

    def validate(self, path: str, az_count: int) -> None:
        vpc = _network(self.vpc_cidr, f"{path}.vpc_cidr")
        if not 16 <= vpc.prefixlen <= 28:
            raise ConfigError(f"{path}.vpc_cidr", self.vpc_cidr, "VPC prefix must be /16 to /28")
        seen: list[tuple[str, ipaddress.IPv4Network]] = []
        for kind in ("public_subnet_cidrs", "private_subnet_cidrs"):
            cidrs = getattr(self, kind)
            if len(cidrs) != az_count:
                raise ConfigError(
                    f"{path}.{kind}", cidrs, f"needs one subnet per AZ (azs has {az_count})"
                )
            for index, cidr in enumerate(cidrs):
                where = f"{path}.{kind}[{index}]"
                net = _network(cidr, where)
                if not 16 <= net.prefixlen <= 28:
                    raise ConfigError(where, cidr, "subnet prefix must be /16 to /28")
                if not net.subnet_of(vpc):
                    raise ConfigError(where, cidr, f"outside {path}.vpc_cidr={self.vpc_cidr!r}")
                for other_where, other in seen:
                    if net.overlaps(other):
                        raise ConfigError(where, cidr, f"overlaps {other_where}={str(other)!r}")
                seen.append((where, net))


@dataclass(frozen=True)
class ServiceConfig:
    """One ECS service (frontend or backend) and how it scales.

    Defaults: 0.25 vCPU / 512 MiB, 2 tasks (one per AZ), scaling 2-4 tasks on
    60 % CPU or 500 requests per target per minute, health check ``/healthz``,
    60 s grace period, no extra environment and no secrets.
    ``secrets`` maps an environment variable name to a Secrets Manager ARN;
    only when it is non-empty does the execution role get read access.
    ``secrets_kms_key_arn`` (default none: AWS-managed key) is the customer-managed
    KMS key those secrets are encrypted with; the execution role may decrypt with it.
    """

    name: str
    port: int
    cpu: int = 256
    memory: int = 512
    desired_count: int = 2
    min_capacity: int = 2
    max_capacity: int = 4
    health_check_path: str = "/healthz"
    health_check_grace_seconds: int = 60
    cpu_target_percent: int = 60
    requests_per_target: int = 500
    environment: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    secrets_kms_key_arn: str | None = None

    def validate(self, path: str) -> None:
        if not re.match(r"^[a-z][a-z0-9-]{0,19}$", self.name):
            raise ConfigError(f"{path}.name", self.name, "lowercase letters, digits, '-'")
        if not isinstance(self.port, int) or not 1024 <= self.port <= 65535:
            raise ConfigError(f"{path}.port", self.port, "must be an integer 1024-65535")
        if self.cpu not in FARGATE_SIZES:
            raise ConfigError(
                f"{path}.cpu", self.cpu, f"Fargate cpu is one of {list(FARGATE_SIZES)}"
            )
        if self.memory not in FARGATE_SIZES[self.cpu]:
            raise ConfigError(
                f"{path}.memory", self.memory, f"not a valid Fargate memory for cpu={self.cpu}"
            )
        if not 1 <= self.min_capacity <= self.max_capacity <= 100:
            raise ConfigError(
                f"{path}.min_capacity",
                self.min_capacity,
                f"needs 1 <= min_capacity <= max_capacity ({self.max_capacity}) <= 100",
            )
        if not self.min_capacity <= self.desired_count <= self.max_capacity:
            raise ConfigError(
                f"{path}.desired_count",
                self.desired_count,
                f"must be between min_capacity={self.min_capacity} "
                f"and max_capacity={self.max_capacity}",
            )
        if not self.health_check_path.startswith("/"):
            raise ConfigError(f"{path}.health_check_path", self.health_check_path, "must start /")
        if not 0 <= self.health_check_grace_seconds <= 2_147_483_647:
            raise ConfigError(
                f"{path}.health_check_grace_seconds", self.health_check_grace_seconds, "bad value"
            )
        if not 10 <= self.cpu_target_percent <= 90:
            raise ConfigError(f"{path}.cpu_target_percent", self.cpu_target_percent, "10-90")
        if self.requests_per_target < 1:
            raise ConfigError(f"{path}.requests_per_target", self.requests_per_target, ">= 1")
        for name in (*self.environment, *self.secrets):
            if not _ENV_VAR.match(name):
                raise ConfigError(f"{path}.environment", name, "not an environment variable name")
        for name, arn in self.secrets.items():
            if not _ARN.match(arn) or ":secretsmanager:" not in arn:
                raise ConfigError(f"{path}.secrets.{name}", arn, "must be a Secrets Manager ARN")


@dataclass(frozen=True)
class LoadBalancerConfig:
    """Both ALBs.

    ``certificate_arn`` (default none) turns on HTTPS on the public ALB, with
    ``ssl_policy`` (default TLS 1.2+ ``ELBSecurityPolicy-TLS13-1-2-2021-06``)
    and an HTTP -> HTTPS redirect. ``deletion_protection`` defaults to off.
    ``access_logs`` (default off) writes both ALBs' access logs to a new S3 bucket.
    ``waf_acl_arn`` (default none) associates a WAFv2 web ACL with the public ALB.
    """

    certificate_arn: str | None = None
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    deletion_protection: bool = False
    idle_timeout_seconds: int = 60
    access_logs: bool = False
    waf_acl_arn: str | None = None

    def validate(self, path: str) -> None:
        if self.certificate_arn is not None and (
            not _ARN.match(self.certificate_arn) or ":acm:" not in self.certificate_arn
        ):
            raise ConfigError(f"{path}.certificate_arn", self.certificate_arn, "not an ACM ARN")
        if "TLS" not in self.ssl_policy or "TLS-1-0" in self.ssl_policy:
            raise ConfigError(f"{path}.ssl_policy", self.ssl_policy, "must be a TLS 1.2+ policy")
        if not 1 <= self.idle_timeout_seconds <= 4000:
            raise ConfigError(f"{path}.idle_timeout_seconds", self.idle_timeout_seconds, "1-4000")
        if self.waf_acl_arn is not None and (
            not _ARN.match(self.waf_acl_arn) or ":wafv2:" not in self.waf_acl_arn
        ):
            raise ConfigError(f"{path}.waf_acl_arn", self.waf_acl_arn, "not a WAFv2 web ACL ARN")


@dataclass(frozen=True)
class RegistryConfig:
    """The ECR repository. Default name ``ecr-learn-app`` as in the seed;
    the lifecycle policy keeps the last ``keep_images_per_prefix`` (default 10)
    images of each tag prefix (``frontend-``, ``backend-``)."""

    repository_name: str = "ecr-learn-app"
    keep_images_per_prefix: int = 10

    def validate(self, path: str) -> None:
        if not _REPO_NAME.match(self.repository_name) or len(self.repository_name) > 256:
            raise ConfigError(f"{path}.repository_name", self.repository_name, "bad ECR name")
        if not 1 <= self.keep_images_per_prefix <= 1000:
            raise ConfigError(
                f"{path}.keep_images_per_prefix", self.keep_images_per_prefix, "1-1000"
            )


@dataclass(frozen=True)
class ImageConfig:
    """Where the services' images come from.

    ``source="build"`` (default): the ``<env>-images`` stack builds and pushes
    them and the services use its digest-pinned references.
    ``source="tag"``: deploy an existing ``<service>-<version>`` tag without building.
    """

    source: Literal["build", "tag"] = "build"

    def validate(self, path: str) -> None:
        if self.source not in ("build", "tag"):
            raise ConfigError(f"{path}.source", self.source, "must be 'build' or 'tag'")


@dataclass(frozen=True)
class StateConfig:
    """Where Terraform state lives.

    ``backend="s3"``: bucket ``bucket`` in ``region``, key ``<env>/<stack>.tfstate``,
    encrypted, locked with an S3 lockfile. ``path_style`` (default off) is for
    S3-compatible emulators. ``backend="local"``: ``terraform.<stack>.tfstate``
    files, for tests and offline work.
    """

    backend: Literal["s3", "local"]
    bucket: str | None = None
    region: str | None = None
    path_style: bool = False

    def validate(self, path: str) -> None:
        if self.backend not in ("s3", "local"):
            raise ConfigError(f"{path}.backend", self.backend, "must be 's3' or 'local'")
        if self.backend == "s3":
            if not self.bucket:
                raise ConfigError(f"{path}.bucket", self.bucket, "required for the s3 backend")
            if not _BUCKET.match(self.bucket):
                raise ConfigError(f"{path}.bucket", self.bucket, "not a valid S3 bucket name")
            if not self.region or not _REGION.match(self.region):
                raise ConfigError(f"{path}.region", self.region, "not an AWS region")


@dataclass(frozen=True)
class EnvironmentConfig:
    """Everything one environment (``dev``, ``prod``) needs.

    ``log_retention_days`` defaults to 30; ``log_kms_encryption`` (default off)
    encrypts the log groups with a customer-managed KMS key.
    ``tags`` are added to every resource.
    ``emulator`` (default off) marks a deploy to the local AWS emulator, which
    serves S3 path-style; nothing else about the stacks changes.
    """

    name: str
    region: str
    azs: tuple[str, ...]
    app_version: str
    state: StateConfig
    network: NetworkConfig = NetworkConfig()
    frontend: ServiceConfig = ServiceConfig(name="frontend", port=3000)
    backend: ServiceConfig = ServiceConfig(name="backend", port=8080)
    load_balancer: LoadBalancerConfig = LoadBalancerConfig()
    registry: RegistryConfig = RegistryConfig()
    images: ImageConfig = ImageConfig()
    log_retention_days: int = 30
    log_kms_encryption: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)
    emulator: bool = False

    @property
    def services(self) -> tuple[ServiceConfig, ServiceConfig]:
        return (self.frontend, self.backend)

    def validate(self) -> EnvironmentConfig:
        """Raise ``ConfigError`` on the first bad field; return self when valid."""
        p = self.name
        if not isinstance(self.name, str) or not _ENV_NAME.match(self.name):
            raise ConfigError("name", self.name, "lowercase letters and digits, 2-12 chars")
        if not _REGION.match(self.region or ""):
            raise ConfigError(f"{p}.region", self.region, "not an AWS region like us-east-1")
        if len(self.azs) < 2 or len(self.azs) > 3:
            raise ConfigError(f"{p}.azs", self.azs, "needs 2 or 3 availability zones")
        if len(set(self.azs)) != len(self.azs):
            raise ConfigError(f"{p}.azs", self.azs, "availability zones must be distinct")
        for index, az in enumerate(self.azs):
            if not re.fullmatch(re.escape(self.region) + r"[a-z]", az):
                raise ConfigError(f"{p}.azs[{index}]", az, f"not an AZ of region {self.region}")
        validate_version(self.app_version, f"{p}.app_version")
        self.state.validate(f"{p}.state")
        self.network.validate(f"{p}.network", len(self.azs))
        self.frontend.validate(f"{p}.frontend")
        self.backend.validate(f"{p}.backend")
        if self.frontend.port == self.backend.port:
            raise ConfigError(
                f"{p}.backend.port",
                self.backend.port,
                f"clashes with {p}.frontend.port={self.frontend.port}",
            )
        if self.frontend.name == self.backend.name:
            raise ConfigError(
                f"{p}.backend.name", self.backend.name, f"clashes with {p}.frontend.name"
            )
        self.load_balancer.validate(f"{p}.load_balancer")
        self.registry.validate(f"{p}.registry")
        self.images.validate(f"{p}.images")
        if self.log_retention_days not in _LOG_RETENTION_DAYS:
            raise ConfigError(
                f"{p}.log_retention_days",
                self.log_retention_days,
                f"CloudWatch accepts {list(_LOG_RETENTION_DAYS)}",
            )
        return self
