"""Frozen, strict pydantic models describing one environment, validated on construction.

Building any model (``EnvironmentConfig(...)``, ``env.with_(...)``) either
returns a valid object or raises one ``ConfigError`` naming the field and the
value, e.g. ``invalid config: dev.network.private_subnet_cidrs[1]='10.0.0.32/27':
overlaps dev.network.public_subnet_cidrs[0]='10.0.0.0/26'``. Paths start with the
environment's name; a section built on its own (``ServiceConfig(...)``) uses
its class name instead, since it belongs to no environment yet.

Strict means no silent coercion: ``"3000"`` is not a port and a list is not a
tuple. Unknown fields are errors. Each rule lives here once: a section checks
what it can know alone, ``EnvironmentConfig`` what needs the whole picture
(region, AZ count, both services).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from config.errors import ConfigError, from_validation_error

# Resource names start ``<PROJECT>-<env>`` (modules/common.py ``name_prefix``).
PROJECT = "ecs-learn"

# Fargate (Linux) task sizes AWS accepts: cpu units -> allowed memory (MiB).
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}

# ALB security policies that allow TLS 1.2 and newer only (AWS ELB documentation).
TLS12_POLICIES: frozenset[str] = frozenset(
    {
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS-1-2-2017-01",
        "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
        "ELBSecurityPolicy-FS-1-2-2019-08",
        "ELBSecurityPolicy-FS-1-2-Res-2019-08",
        "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    }
)
# Real ALB policies that still allow TLS 1.0 or 1.1: named as such in the error.
LEGACY_TLS_POLICIES: frozenset[str] = frozenset(
    {
        "ELBSecurityPolicy-2016-08",
        "ELBSecurityPolicy-2015-05",
        "ELBSecurityPolicy-TLS-1-0-2015-04",
        "ELBSecurityPolicy-TLS-1-1-2017-01",
        "ELBSecurityPolicy-FS-2018-06",
        "ELBSecurityPolicy-FS-1-1-2019-08",
        "ELBSecurityPolicy-TLS13-1-0-2021-06",
        "ELBSecurityPolicy-TLS13-1-1-2021-06",
        "ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-0-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-1-PQ-2025-09",
    }
)
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"

# Environment variables the services stack computes for every container (modules/services.py).
RESERVED_ENV_VARS = ("PORT", "APP_VERSION", "BACKEND_URL")

# Tags the AWS provider adds to every resource (modules/common.py ``aws_provider``),
# plus the ``Name`` tag the constructs set; all count towards AWS's 50-tag limit.
DEFAULT_TAG_KEYS = ("Project", "Environment", "ManagedBy", "Stack")
# Set on every taggable resource: its construct path, which ``make recover`` adopts it by.
PATH_TAG = f"{PROJECT}:path"
RESOURCE_TAG_KEYS = ("Name", PATH_TAG)
MAX_TAGS = 50
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256

# Names AWS limits: ELB target groups to 32 characters, Docker tags to 128.
MAX_TARGET_GROUP_NAME = 32
# Room kept for a replacement-safe suffix (``-`` + 6 hex) on target group names.
TARGET_GROUP_SUFFIX_BUDGET = 7
MAX_IMAGE_TAG = 128

# What sits in each private subnet besides tasks: one ENI per interface endpoint
# and AZ (constructs/endpoints.py DEFAULT_INTERFACE_SERVICES: ecr.api, ecr.dkr,
# logs), one more for secretsmanager when a service has secrets, and the
# internal ALB. AWS reserves 5 addresses in every subnet.
INTERFACE_ENDPOINTS = 3
SECRETS_ENDPOINTS = 1
ALB_ENIS_PER_AZ = 8
# ELB: every subnet of a load balancer must be at least a /27 with 8 free addresses.
ALB_MIN_SUBNET_PREFIX = 27
AWS_RESERVED_ADDRESSES = 5

# A release version is semver (no build metadata: Docker tags forbid '+') or a git sha.
_SEMVER = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z][0-9A-Za-z.-]*)?$")
_GIT_SHA = re.compile(r"^[0-9a-f]{7,40}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_ENV_NAME = re.compile(r"^[a-z][a-z0-9]{1,11}$")
_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_REPO_NAME = re.compile(r"^[a-z0-9]+(?:[._/-][a-z0-9]+)*$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:.+$")
_LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
_ENV_VAR = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def validate_emulator_endpoint(value: object, path: str = "EMULATOR_ENDPOINT") -> str:
    """Return ``value`` if it is ``http(s)://<loopback host>:<port>`` and nothing more.

    Local-target stacks send every AWS call there, so it must never name a real
    AWS endpoint or any other host.
    """
    from urllib.parse import urlsplit

    if not isinstance(value, str):
        raise ConfigError(path, value, "must be a URL like http://127.0.0.1:4566")
    try:
        url = urlsplit(value)
        port = url.port
    except ValueError:
        raise ConfigError(path, value, "not a URL like http://127.0.0.1:4566") from None
    if url.scheme not in ("http", "https") or url.hostname not in _LOOPBACK_HOSTS or not port:
        raise ConfigError(
            path, value, "must be http(s)://127.0.0.1:<port> (or localhost): the local emulator"
        )
    if url.path not in ("", "/") or url.query or url.fragment or url.username:
        raise ConfigError(path, value, "must be only scheme, loopback host and port")
    return value.rstrip("/")


def validate_version(value: object, path: str = "app_version") -> str:
    """Return ``value`` if it is a semver (``1.2.3``, ``v1.2.3-rc.1``) or a git sha.

    ``path`` (default ``app_version``) is the field named in the error.
    """
    if not isinstance(value, str) or not value:
        raise ConfigError(path, value, "required; set APP_VERSION or the appVersion context")
    if not (_SEMVER.match(value) or _GIT_SHA.match(value)):
        raise ConfigError(
            path, value, "must be semver like 1.2.3 or 1.2.3-rc.1, or a 7-40 char git sha"
        )
    return value


def _network(value: str, path: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except (ValueError, TypeError) as exc:
        raise ConfigError(path, value, f"not an IPv4 CIDR block ({exc})") from None


def _arn_region(arn: str) -> str:
    """The region part of an ARN (``arn:aws:acm:<region>:...``)."""
    return arn.split(":")[3]


def usable_addresses(cidr: str) -> int:
    """Addresses of a subnet that ENIs can use: AWS reserves 5 in every subnet."""
    return ipaddress.IPv4Network(cidr).num_addresses - AWS_RESERVED_ADDRESSES


_NESTING: ContextVar[int] = ContextVar("config_nesting", default=0)


def _merged(model: ConfigModel, changes: Mapping[str, Any]) -> dict[str, Any]:
    data = {name: getattr(model, name) for name in type(model).model_fields}
    for key, change in changes.items():
        current = data.get(key)
        if isinstance(current, ConfigModel) and isinstance(change, Mapping):
            change = _merged(current, change)
        data[key] = change
    return data


class ConfigModel(BaseModel):
    """Base of every config model: frozen, strict, no unknown fields.

    Construction validates and raises ``ConfigError`` (never pydantic's
    ``ValidationError``) for the first bad field.
    """

    model_config = ConfigDict(
        frozen=True, strict=True, extra="forbid", use_attribute_docstrings=True
    )

    if not TYPE_CHECKING:
        # Hidden from type checkers, which keep pydantic's typed keyword-only __init__.

        def __init__(self, /, **data: Any) -> None:
            # pydantic also calls this for nested sections given as mappings; only the
            # outermost call translates, so paths run from the outermost model.
            outermost = _NESTING.get() == 0
            token = _NESTING.set(_NESTING.get() + 1)
            try:
                super().__init__(**data)
            except ValidationError as exc:
                if not outermost:
                    raise
                raise from_validation_error(exc, type(self)._error_prefix(data)) from None
            finally:
                _NESTING.reset(token)

    @classmethod
    def _error_prefix(cls, data: Mapping[str, Any]) -> str:
        """Where error paths start; a lone section is named by its class."""
        return cls.__name__

    def with_(self, **changes: Any) -> Self:
        """A validated copy with ``changes`` applied.

        A mapping given for a section updates that section rather than
        replacing it: ``env.with_(frontend={"port": 80})`` changes only the
        frontend's port, and the error (if any) names ``dev.frontend.port``.
        Unlike pydantic's ``model_copy(update=...)``, the result is validated.
        """
        return type(self)(**_merged(self, changes))


class NetworkConfig(ConfigModel):
    """The VPC and its subnets, one public and one private subnet per AZ.

    Defaults are the seed's: VPC ``10.0.0.0/24`` split into four /26 blocks.
    That the subnet counts match the AZs and that each subnet is big enough
    for what runs in it is checked by ``EnvironmentConfig``.
    """

    vpc_cidr: str = "10.0.0.0/24"
    """VPC CIDR block, /16 to /28. Default ``10.0.0.0/24``."""
    public_subnet_cidrs: tuple[str, ...] = ("10.0.0.0/26", "10.0.0.64/26")
    """One public subnet per AZ, in AZ order, inside the VPC and not overlapping.
    Holds the external ALB. Default ``10.0.0.0/26``, ``10.0.0.64/26``."""
    private_subnet_cidrs: tuple[str, ...] = ("10.0.0.128/26", "10.0.0.192/26")
    """One private subnet per AZ, in AZ order. Holds the tasks, the internal ALB and
    the interface endpoints. Default ``10.0.0.128/26``, ``10.0.0.192/26``."""
    flow_logs: bool = False
    """Send VPC flow logs to CloudWatch Logs. Default off."""

    @model_validator(mode="after")
    def _rules(self) -> Self:
        vpc = _network(self.vpc_cidr, "vpc_cidr")
        if not 16 <= vpc.prefixlen <= 28:
            raise ConfigError("vpc_cidr", self.vpc_cidr, "VPC prefix must be /16 to /28")
        seen: list[tuple[str, ipaddress.IPv4Network]] = []
        for kind in ("public_subnet_cidrs", "private_subnet_cidrs"):
            for index, cidr in enumerate(getattr(self, kind)):
                where = f"{kind}[{index}]"
                net = _network(cidr, where)
                if not 16 <= net.prefixlen <= 28:
                    raise ConfigError(where, cidr, "subnet prefix must be /16 to /28")
                if not net.subnet_of(vpc):
                    raise ConfigError(where, cidr, f"outside {{path}}vpc_cidr={self.vpc_cidr!r}")
                for other_where, other in seen:
                    if net.overlaps(other):
                        raise ConfigError(
                            where, cidr, f"overlaps {{path}}{other_where}={str(other)!r}"
                        )
                seen.append((where, net))
        return self


class ServiceConfig(ConfigModel):
    """One ECS service (frontend or backend) and how it scales.

    Defaults: 0.25 vCPU / 512 MiB, 2 tasks (one per AZ), scaling 2-4 tasks on
    60 % CPU or 500 requests per target per minute, health check ``/healthz``,
    60 s grace period, no extra environment and no secrets.
    """

    name: str
    """Service, container and log stream name: lowercase letters, digits and '-',
    starting with a letter, not ending with '-'; short enough for its target group
    name (see ``EnvironmentConfig``). Required."""
    port: int
    """Container port, 1024-65535, different from the other service's. Required."""
    cpu: int = 256
    """Fargate task cpu units (256 = 0.25 vCPU). Default 256."""
    memory: int = 512
    """Fargate task memory in MiB; must suit ``cpu``. Default 512."""
    desired_count: int = 2
    """Tasks at deploy time, between min and max capacity. Default 2."""
    min_capacity: int = 2
    """Autoscaling minimum, at least 1. Default 2."""
    max_capacity: int = 4
    """Autoscaling maximum, at most 100; the private subnets must hold these tasks.
    Default 4."""
    health_check_path: str = "/healthz"
    """Path the ALB target group probes. Default ``/healthz``."""
    health_check_grace_seconds: int = 60
    """Seconds ECS ignores failing health checks after a task starts. Default 60."""
    cpu_target_percent: int = 60
    """Target-tracking CPU utilisation, 10-90. Default 60."""
    requests_per_target: int = 500
    """Target-tracking ALB requests per target per minute, at least 1. Default 500."""
    environment: dict[str, str] = Field(default_factory=dict)
    """Extra plain environment variables (string values only). May not set the
    computed PORT, APP_VERSION or BACKEND_URL. Default none."""
    secrets: dict[str, str] = Field(default_factory=dict)
    """Environment variable name -> Secrets Manager ARN. Only when non-empty does
    the execution role get read access. Default none."""
    secrets_kms_key_arn: str | None = None
    """The customer-managed KMS key the secrets are encrypted with; the execution role
    may decrypt with it, only through Secrets Manager. Default none: the AWS-managed key."""

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if not _SERVICE_NAME.match(self.name):
            raise ConfigError("name", self.name, "lowercase letters, digits, '-'")
        if self.name.endswith("-"):
            raise ConfigError("name", self.name, "must not end with '-' (target group names)")
        if not 1024 <= self.port <= 65535:
            raise ConfigError("port", self.port, "must be an integer 1024-65535")
        if self.cpu not in FARGATE_SIZES:
            raise ConfigError("cpu", self.cpu, f"Fargate cpu is one of {list(FARGATE_SIZES)}")
        if self.memory not in FARGATE_SIZES[self.cpu]:
            raise ConfigError(
                "memory", self.memory, f"not a valid Fargate memory for cpu={self.cpu}"
            )
        if not 1 <= self.min_capacity <= self.max_capacity <= 100:
            raise ConfigError(
                "min_capacity",
                self.min_capacity,
                f"needs 1 <= min_capacity <= max_capacity ({self.max_capacity}) <= 100",
            )
        if not self.min_capacity <= self.desired_count <= self.max_capacity:
            raise ConfigError(
                "desired_count",
                self.desired_count,
                f"must be between min_capacity={self.min_capacity} "
                f"and max_capacity={self.max_capacity}",
            )
        if not self.health_check_path.startswith("/"):
            raise ConfigError("health_check_path", self.health_check_path, "must start /")
        if not 0 <= self.health_check_grace_seconds <= 2_147_483_647:
            raise ConfigError(
                "health_check_grace_seconds", self.health_check_grace_seconds, "bad value"
            )
        if not 10 <= self.cpu_target_percent <= 90:
            raise ConfigError("cpu_target_percent", self.cpu_target_percent, "10-90")
        if self.requests_per_target < 1:
            raise ConfigError("requests_per_target", self.requests_per_target, ">= 1")
        for kind in ("environment", "secrets"):
            for name in getattr(self, kind):
                if not _ENV_VAR.match(name):
                    raise ConfigError(kind, name, "not an environment variable name")
                if name in RESERVED_ENV_VARS:
                    raise ConfigError(
                        f"{kind}.{name}",
                        getattr(self, kind)[name],
                        f"{name} is computed by the services stack "
                        f"({', '.join(RESERVED_ENV_VARS)}); it cannot be overridden",
                    )
        for name, arn in self.secrets.items():
            if name in self.environment:
                raise ConfigError(f"secrets.{name}", arn, "also set in environment")
            if not _ARN.match(arn) or ":secretsmanager:" not in arn:
                raise ConfigError(f"secrets.{name}", arn, "must be a Secrets Manager ARN")
        key = self.secrets_kms_key_arn
        if key is not None:
            if not _KMS_KEY_ARN.match(key):
                raise ConfigError("secrets_kms_key_arn", key, "must be a KMS key ARN (key/<id>)")
            if not self.secrets:
                raise ConfigError("secrets_kms_key_arn", key, "set without any secrets")
        return self


class LoadBalancerConfig(ConfigModel):
    """Both ALBs. Whether ARNs are in the environment's region is checked by
    ``EnvironmentConfig``."""

    certificate_arn: str | None = None
    """ACM certificate (same region) that turns on HTTPS on the public ALB, with an
    HTTP -> HTTPS redirect. Default none: HTTP only."""
    ssl_policy: str = DEFAULT_SSL_POLICY
    """HTTPS listener security policy; one of the TLS 1.2+ ELB policies
    (``TLS12_POLICIES``). Default ``ELBSecurityPolicy-TLS13-1-2-2021-06``."""
    deletion_protection: bool = False
    """ALB deletion protection; also keeps ECR and log buckets from force deletion.
    Default off."""
    idle_timeout_seconds: int = 60
    """ALB idle timeout, 1-4000 seconds. Default 60."""
    access_logs: bool = False
    """Write both ALBs' access logs to a new S3 bucket. Default off."""
    waf_acl_arn: str | None = None
    """Regional WAFv2 web ACL (same region) associated with the public ALB.
    Default none."""

    @model_validator(mode="after")
    def _rules(self) -> Self:
        cert = self.certificate_arn
        if cert is not None and (not _ARN.match(cert) or cert.split(":")[2] != "acm"):
            raise ConfigError("certificate_arn", cert, "not an ACM ARN")
        if self.ssl_policy in LEGACY_TLS_POLICIES:
            raise ConfigError(
                "ssl_policy", self.ssl_policy, "allows TLS below 1.2; use a TLS 1.2+ policy"
            )
        if self.ssl_policy not in TLS12_POLICIES:
            raise ConfigError(
                "ssl_policy",
                self.ssl_policy,
                f"unknown ALB security policy; use a TLS 1.2+ one such as {DEFAULT_SSL_POLICY}",
            )
        if not 1 <= self.idle_timeout_seconds <= 4000:
            raise ConfigError("idle_timeout_seconds", self.idle_timeout_seconds, "1-4000")
        waf = self.waf_acl_arn
        if waf is not None:
            if not _ARN.match(waf) or waf.split(":")[2] != "wafv2":
                raise ConfigError("waf_acl_arn", waf, "not a WAFv2 web ACL ARN")
            if waf.split(":", 5)[5].startswith("global/"):
                raise ConfigError(
                    "waf_acl_arn", waf, "global (CloudFront) scope; an ALB needs a regional web ACL"
                )
            if not waf.split(":", 5)[5].startswith("regional/webacl/"):
                raise ConfigError("waf_acl_arn", waf, "not a regional WAFv2 web ACL ARN")
        return self


class RegistryConfig(ConfigModel):
    """The environment's ECR repository. The lifecycle policy keeps the last
    ``keep_images_per_prefix`` images of each tag prefix (``frontend-``, ``backend-``)."""

    repository_name: str
    """ECR repository name, 2-256 chars. Required here; ``EnvironmentConfig``
    defaults it to ``ecr-learn-app-<env>`` so environments can share an account."""
    keep_images_per_prefix: int = 10
    """Images kept per tag prefix, 1-1000. Default 10."""

    @model_validator(mode="after")
    def _rules(self) -> Self:
        name = self.repository_name
        if not _REPO_NAME.match(name) or not 2 <= len(name) <= 256:
            raise ConfigError("repository_name", name, "bad ECR name")
        if not 1 <= self.keep_images_per_prefix <= 1000:
            raise ConfigError("keep_images_per_prefix", self.keep_images_per_prefix, "1-1000")
        return self


class ImageConfig(ConfigModel):
    """Where the services' images come from."""

    source: Literal["build", "tag"] = "build"
    """``build`` (default): the ``<env>-images`` stack builds and pushes them and the
    services use its digest-pinned references. ``tag``: deploy an existing
    ``<service>-<version>`` tag without building."""


class StateConfig(ConfigModel):
    """Where Terraform state lives.

    ``backend="s3"``: key ``<env>/<stack>.tfstate``, encrypted, locked with an S3
    lockfile. ``backend="local"``: ``terraform.<stack>.tfstate`` files, for tests
    and offline work.
    """

    backend: Literal["s3", "local"]
    """``s3`` or ``local``. Required."""
    bucket: str | None = None
    """State bucket; required for ``s3``. Default none."""
    region: str | None = None
    """The bucket's region; required for ``s3``. Default none."""
    path_style: bool = False
    """S3 path-style addressing, for S3-compatible emulators. Default off."""
    bootstrap_bucket: Literal["create", "existing"] = "create"
    """What ``<env>-bootstrap`` does with ``bucket``: ``create`` (default) it, or use an
    ``existing`` one that another environment's bootstrap created (one shared bucket);
    from ``BOOTSTRAP_STATE_BUCKET``."""

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.backend == "s3":
            if not self.bucket:
                raise ConfigError("bucket", self.bucket, "required for the s3 backend")
            if not _BUCKET.match(self.bucket):
                raise ConfigError("bucket", self.bucket, "not a valid S3 bucket name")
            if not self.region or not _REGION.match(self.region):
                raise ConfigError("region", self.region, "not an AWS region")
        return self


# GitHub's own limits: owners 1-39 chars of letters, digits and single inner hyphens;
# repository names 1-100 chars of letters, digits, '.', '_', '-'.
_GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
# GitHub environment names may hold spaces; these would change an OIDC subject's meaning.
_GITHUB_ENVIRONMENT = re.compile(r"^[A-Za-z0-9 _.-]{1,255}$")


def validate_github_repository(value: object, path: str = "github_repository") -> str:
    """Return ``value`` if it is exactly one ``owner/repo`` (no wildcard, no ref)."""
    if not isinstance(value, str) or value.count("/") != 1:
        raise ConfigError(path, value, "must be owner/repo, e.g. my-org/ecs-learn")
    owner, repo = value.split("/")
    if not _GITHUB_OWNER.match(owner):
        raise ConfigError(
            path, value, f"owner {owner!r}: letters, digits and inner single '-', 1-39 chars"
        )
    if not _GITHUB_REPO.match(repo) or repo in (".", ".."):
        raise ConfigError(path, value, f"repository {repo!r}: letters, digits, '.', '_', '-'")
    return value


class CiConfig(ConfigModel):
    """The identity GitHub Actions uses for this environment, created by ``<env>-bootstrap``.

    With ``github_repository`` unset (the default) no CI identity is created.
    Otherwise the bootstrap creates a read-only plan role that only pull requests
    of that repository can assume, and a deploy role that only its jobs running
    in the GitHub environment ``github_environment`` can assume.
    """

    github_repository: str | None = None
    """``owner/repo`` whose workflows may assume the roles; from ``GITHUB_REPOSITORY``.
    Default none: no CI identity."""
    github_environment: str
    """The GitHub environment of the deploy job (``environment:`` in
    .github/workflows/deploy.yml); only its jobs may assume the deploy role. Required
    here; ``EnvironmentConfig`` defaults it to the environment's name."""
    oidc_provider: Literal["create", "existing"] = "create"
    """``create`` (default): the bootstrap creates the account's GitHub OIDC provider.
    ``existing``: it uses the one already there (an account can have only one), e.g.
    created by another environment's bootstrap; from ``GITHUB_OIDC_PROVIDER``."""

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.github_repository is not None:
            validate_github_repository(self.github_repository)
        if not _GITHUB_ENVIRONMENT.match(self.github_environment):
            raise ConfigError(
                "github_environment",
                self.github_environment,
                "letters, digits, spaces, '_', '.', '-', 1-255 chars",
            )
        return self


def _default_ci(data: dict[str, Any]) -> CiConfig:
    return CiConfig(github_environment=str(data.get("name", "env")))


def _default_registry(data: dict[str, Any]) -> RegistryConfig:
    return RegistryConfig(repository_name=f"ecr-learn-app-{data.get('name', 'env')}")


class EmulatorSession(ConfigModel):
    """Credentials of a role session that the emulator's STS issued, read from
    ``EMULATOR_SESSION``: the stacks then act as that role (a CI role) in the
    emulator, which authorizes each call as IAM would. They are valid nowhere else."""

    access_key_id: str = Field(min_length=16)
    """The session's access key id."""
    secret_access_key: str = Field(min_length=16)
    """The session's secret access key."""
    session_token: str = Field(min_length=16)
    """The session token."""


class EnvironmentConfig(ConfigModel):
    """Everything one environment (``dev``, ``prod``) needs.

    Error paths start with ``name``: ``dev.backend.port``.
    """

    name: str
    """Environment name: lowercase letters and digits, 2-12 chars. Required."""
    region: str
    """AWS region, e.g. ``ap-northeast-1``. Required."""
    azs: tuple[str, ...]
    """2 or 3 distinct availability zones of ``region``. Required."""
    app_version: str
    """Release version: semver (``1.2.3``, ``v1.2.3-rc.1``) or a 7-40 char git sha;
    ``<service>-<version>`` must fit Docker's 128-char tag limit. Required."""
    state: StateConfig
    """Where Terraform state lives. Required."""
    network: NetworkConfig = NetworkConfig()
    """VPC and subnets. Default: the seed's /24 in four /26 blocks, no flow logs."""
    frontend: ServiceConfig = ServiceConfig(name="frontend", port=3000)
    """The public-facing service. Default: ``frontend`` on port 3000 with
    ``ServiceConfig``'s defaults."""
    backend: ServiceConfig = ServiceConfig(name="backend", port=8080)
    """The internal API service. Default: ``backend`` on port 8080 with
    ``ServiceConfig``'s defaults."""
    load_balancer: LoadBalancerConfig = LoadBalancerConfig()
    """Both ALBs. Default: HTTP only, no deletion protection, no access logs, no WAF."""
    registry: RegistryConfig = Field(default_factory=_default_registry)
    """ECR repository. Default: ``ecr-learn-app-<name>``, keeping 10 images per prefix."""
    images: ImageConfig = ImageConfig()
    """Where images come from. Default: built by the ``<env>-images`` stack."""
    ci: CiConfig = Field(default_factory=_default_ci)
    """GitHub Actions roles created by the bootstrap. Default: none (no repository),
    deploy jobs in the GitHub environment named like this environment."""
    log_retention_days: int = 30
    """CloudWatch Logs retention, one of the values CloudWatch accepts. Default 30."""
    log_kms_encryption: bool = False
    """Encrypt the log groups with a customer-managed KMS key. Default off."""
    exec_enabled: bool = False
    """ECS Exec (``make exec`` on AWS): the ``ssmmessages`` endpoint, the task roles'
    Session Manager channels (and the workload boundary's, so ``make bootstrap`` again),
    ``enable_execute_command`` and three writable task volumes for the agent, the root
    staying read-only. Default off."""
    tags: dict[str, str] = Field(default_factory=dict)
    """Tags added to every resource, on top of the provider's Project, Environment,
    ManagedBy and Stack (which a same-named key here overrides). Keys may not start
    with ``aws:``; AWS allows keys up to 128 chars, values up to 256 and 50 tags per
    resource in all. Default none."""
    emulator_endpoint: str | None = None
    """The local AWS emulator's loopback URL, for a deploy to it. The stacks' provider,
    S3 backend and remote-state reads then send every call there with fake
    credentials, so they can never reach a real account, and S3 is addressed
    path-style. Default none: real AWS."""
    emulator_session: EmulatorSession | None = None
    """For the emulator target only: a role session to act as instead of the fake
    admin credentials (``EMULATOR_SESSION``). Default none: the fake credentials."""

    @property
    def emulator(self) -> bool:
        """True for the local emulator target (``emulator_endpoint`` is set)."""
        return self.emulator_endpoint is not None

    @classmethod
    def _error_prefix(cls, data: Mapping[str, Any]) -> str:
        name = data.get("name")
        return name if isinstance(name, str) and _ENV_NAME.match(name) else ""

    @property
    def services(self) -> tuple[ServiceConfig, ServiceConfig]:
        return (self.frontend, self.backend)

    @property
    def name_prefix(self) -> str:
        """Prefix for AWS resource names, e.g. ``ecs-learn-dev``."""
        return f"{PROJECT}-{self.name}"

    @model_validator(mode="before")
    @classmethod
    def _name_first(cls, data: Any) -> Any:
        # Every other path starts with the name, so it is checked before anything else.
        name = data.get("name") if isinstance(data, Mapping) else None
        if not isinstance(name, str) or not _ENV_NAME.match(name):
            raise ConfigError("name", name, "lowercase letters and digits, 2-12 chars")
        return data

    @model_validator(mode="after")
    def _rules(self) -> Self:
        self._check_region_and_azs()
        validate_version(self.app_version, "app_version")
        if self.emulator_endpoint is not None:
            validate_emulator_endpoint(self.emulator_endpoint, "emulator_endpoint")
        if self.emulator_session is not None and self.emulator_endpoint is None:
            raise ConfigError(
                "emulator_session", "(a role session)", "only for the emulator target"
            )
        self._check_subnets()
        self._check_services()
        self._check_load_balancer()
        if self.log_retention_days not in _LOG_RETENTION_DAYS:
            raise ConfigError(
                "log_retention_days",
                self.log_retention_days,
                f"CloudWatch accepts {list(_LOG_RETENTION_DAYS)}",
            )
        self._check_tags()
        return self

    def _check_region_and_azs(self) -> None:
        if not _REGION.match(self.region):
            raise ConfigError("region", self.region, "not an AWS region like us-east-1")
        if len(self.azs) < 2 or len(self.azs) > 3:
            raise ConfigError("azs", self.azs, "needs 2 or 3 availability zones")
        if len(set(self.azs)) != len(self.azs):
            raise ConfigError("azs", self.azs, "availability zones must be distinct")
        for index, az in enumerate(self.azs):
            if not re.fullmatch(re.escape(self.region) + r"[a-z]", az):
                raise ConfigError(f"azs[{index}]", az, f"not an AZ of region {self.region}")

    def _check_subnets(self) -> None:
        azs = len(self.azs)
        for kind in ("public_subnet_cidrs", "private_subnet_cidrs"):
            cidrs = getattr(self.network, kind)
            if len(cidrs) != azs:
                raise ConfigError(
                    f"network.{kind}", cidrs, f"needs one subnet per AZ (azs has {azs})"
                )
            for index, cidr in enumerate(cidrs):
                if ipaddress.IPv4Network(cidr).prefixlen > ALB_MIN_SUBNET_PREFIX:
                    raise ConfigError(
                        f"network.{kind}[{index}]",
                        cidr,
                        f"holds an ALB, and ELB needs a /{ALB_MIN_SUBNET_PREFIX} or larger subnet",
                    )
        for index, cidr in enumerate(self.network.public_subnet_cidrs):
            if usable_addresses(cidr) < ALB_ENIS_PER_AZ:
                raise ConfigError(
                    f"network.public_subnet_cidrs[{index}]",
                    cidr,
                    f"has {usable_addresses(cidr)} usable addresses (AWS reserves "
                    f"{AWS_RESERVED_ADDRESSES}), needs {ALB_ENIS_PER_AZ} for the external ALB",
                )
        endpoints = INTERFACE_ENDPOINTS + (
            SECRETS_ENDPOINTS if any(s.secrets for s in self.services) else 0
        )
        tasks = [math.ceil(s.max_capacity / azs) for s in self.services]
        needed = endpoints + ALB_ENIS_PER_AZ + sum(tasks)
        for index, cidr in enumerate(self.network.private_subnet_cidrs):
            if usable_addresses(cidr) < needed:
                raise ConfigError(
                    f"network.private_subnet_cidrs[{index}]",
                    cidr,
                    f"has {usable_addresses(cidr)} usable addresses (AWS reserves "
                    f"{AWS_RESERVED_ADDRESSES}), needs {needed}: {endpoints} endpoint ENIs, "
                    f"{ALB_ENIS_PER_AZ} internal ALB ENIs, "
                    + ", ".join(
                        f"{n} {s.name} tasks" for n, s in zip(tasks, self.services, strict=True)
                    )
                    + f" (max_capacity over {azs} AZs)",
                )

    def _check_services(self) -> None:
        fe, be = self.frontend, self.backend
        if fe.port == be.port:
            raise ConfigError(
                "backend.port", be.port, f"clashes with {{path}}frontend.port={fe.port}"
            )
        if fe.name == be.name:
            raise ConfigError("backend.name", be.name, "clashes with {path}frontend.name")
        for section, svc in (("frontend", fe), ("backend", be)):
            target_group = f"{self.name_prefix}-{svc.name}"
            room = MAX_TARGET_GROUP_NAME - TARGET_GROUP_SUFFIX_BUDGET
            if len(target_group) > room:
                raise ConfigError(
                    f"{section}.name",
                    svc.name,
                    f"target group name {target_group!r} is {len(target_group)} chars; with "
                    f"a {TARGET_GROUP_SUFFIX_BUDGET}-char suffix it must stay within "
                    f"{MAX_TARGET_GROUP_NAME} (at most {room - len(self.name_prefix) - 1} "
                    "chars of service name here)",
                )
            tag = f"{svc.name}-{self.app_version}"
            if len(tag) > MAX_IMAGE_TAG:
                raise ConfigError(
                    "app_version",
                    self.app_version,
                    f"image tag {svc.name}-<version> is {len(tag)} chars; "
                    f"Docker allows {MAX_IMAGE_TAG}",
                )

    def _check_load_balancer(self) -> None:
        lb = self.load_balancer
        for field, arn in (
            ("certificate_arn", lb.certificate_arn),
            ("waf_acl_arn", lb.waf_acl_arn),
        ):
            if arn is not None and _arn_region(arn) != self.region:
                raise ConfigError(
                    f"load_balancer.{field}",
                    arn,
                    f"in region {_arn_region(arn)!r}, not the environment's {self.region!r}",
                )

    def _check_tags(self) -> None:
        for key, value in self.tags.items():
            if not 1 <= len(key) <= MAX_TAG_KEY:
                raise ConfigError(f"tags.{key}", key, f"tag keys are 1-{MAX_TAG_KEY} chars")
            if key.lower().startswith("aws:"):
                raise ConfigError(f"tags.{key}", key, "the aws: prefix is reserved by AWS")
            if key == PATH_TAG:
                raise ConfigError(
                    f"tags.{key}", key, "reserved: every resource's construct path (its identity)"
                )
            if len(value) > MAX_TAG_VALUE:
                raise ConfigError(
                    f"tags.{key}", value, f"tag values are at most {MAX_TAG_VALUE} chars"
                )
        keys = {*DEFAULT_TAG_KEYS, *RESOURCE_TAG_KEYS, *self.tags}
        if len(keys) > MAX_TAGS:
            raise ConfigError(
                "tags",
                len(self.tags),
                f"tags; with the provider's {', '.join(DEFAULT_TAG_KEYS)}, Name and {PATH_TAG} "
                f"that makes {len(keys)} per resource; AWS allows {MAX_TAGS}",
            )
