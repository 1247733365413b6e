"""moto's IAM and KMS state, as the IAM request context needs it.

Lookups only, never writes: the role behind a session, its policies and
permissions boundary, a KMS key's ARN and tags.
"""

from __future__ import annotations

import json
from typing import Any


class Backends:
    """moto's state, as the IAM request context needs it (one account, one region)."""

    def __init__(self, account: str, region: str, partition: str) -> None:
        self.account, self.region, self.partition = account, region, partition

    def role(self, name: str) -> Any:
        from moto.iam.models import iam_backends

        roles = iam_backends[self.account][self.partition].get_roles()
        return next((r for r in roles if r.name == name), None)

    def _key(self, key_id: str) -> Any:
        from moto.kms.models import kms_backends

        backend = kms_backends[self.account][self.region]
        if key_id.startswith("alias/") or ":alias/" in key_id:
            key_id = backend.get_key_id_from_alias(key_id.split(":")[-1]) or key_id
        return backend.keys.get(backend.get_key_id(key_id)), backend

    def key_arn(self, key_id: str) -> str:
        key, _ = self._key(key_id)
        return (
            str(key.arn)
            if key
            else f"arn:{self.partition}:kms:{self.region}:{self.account}:key/{key_id}"
        )

    def key_tags(self, key_id: str) -> dict[str, list[str]]:
        key, backend = self._key(key_id)
        if key is None:
            return {}
        tags = backend.list_resource_tags(key.id).get("Tags", [])
        return {f"aws:ResourceTag/{t['TagKey']}": [t["TagValue"]] for t in tags}

    def secret_key(self, secret_arn: str) -> str | None:
        """The ARN of the customer-managed KMS key a secret is encrypted with, or None
        (the AWS-managed ``aws/secretsmanager`` key needs no permission of its own)."""
        from moto.secretsmanager.models import secretsmanager_backends

        secret = secretsmanager_backends[self.account][self.region].secrets.get(secret_arn)
        key = getattr(secret, "kms_key_id", None)
        if not key or str(key).endswith("alias/aws/secretsmanager"):
            return None
        return self.key_arn(str(key))

    def secret_tags(self, secret_arn: str) -> dict[str, list[str]]:
        """The secret's tags as ``aws:ResourceTag/<key>`` condition keys."""
        from moto.secretsmanager.models import secretsmanager_backends

        secret = secretsmanager_backends[self.account][self.region].secrets.get(secret_arn)
        tags = getattr(secret, "tags", None) or []
        return {f"aws:ResourceTag/{t['Key']}": [t["Value"]] for t in tags}

    def alias_target(self, alias: str) -> str | None:
        _, backend = self._key("alias/none")
        target = backend.get_key_id_from_alias(alias)
        return str(target) if target else None

    def policies(self, role: Any) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """The role's identity policies (inline and attached) and its permissions boundary."""
        from moto.iam.models import iam_backends

        backend = iam_backends[self.account][self.partition]
        docs = [_document(d) for d in role.policies.values()]
        docs += [_default_version(p) for p in role.managed_policies.values()]
        boundary = None
        if role.permissions_boundary_arn:
            boundary = _default_version(backend.get_policy(role.permissions_boundary_arn))
        return docs, boundary


def _default_version(policy: Any) -> dict[str, Any]:
    version = next(v for v in policy.versions if v.version_id == policy.default_version_id)
    return _document(version.document)


def _document(document: Any) -> dict[str, Any]:
    from urllib.parse import unquote

    if isinstance(document, dict):
        return document
    text = str(document)
    return dict(json.loads(unquote(text) if text.startswith("%7B") else text))
