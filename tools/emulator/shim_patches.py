"""The individual moto patches; see ``tools.emulator.shim`` and docs/emulator.md."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

from moto.core.exceptions import JsonRESTError
from moto.utilities.tagging_service import TaggingService


def appautoscaling_tags() -> None:
    """Application Auto Scaling: TagResource, UntagResource, ListTagsForResource.

    moto 5.2 has none of them and answers HTTP 500 (NotImplementedError), which
    the provider's SDK retries ~25 times with backoff for every scalable
    target that carries tags (all of ours do: provider default_tags). Tags
    given to RegisterScalableTarget are stored too, and dropped on deregister.
    """
    from moto.applicationautoscaling import models, responses

    backend_cls = models.ApplicationAutoscalingBackend
    response_cls = responses.ApplicationAutoScalingResponse

    def tagger(backend: Any) -> TaggingService:
        if not hasattr(backend, "shim_tags"):
            backend.shim_tags = TaggingService()
        tags: TaggingService = backend.shim_tags
        return tags

    def target_arns(backend: Any) -> set[str]:
        return {t.arn for targets in backend.targets.values() for t in targets.values()}

    def checked_arn(self: Any) -> str:
        arn = str(self._get_param("ResourceARN"))
        if arn not in target_arns(self.applicationautoscaling_backend):
            raise JsonRESTError("ResourceNotFoundException", f"No resource found for {arn}")
        return arn

    def tag_resource(self: Any) -> str:
        tags = self._get_param("Tags") or {}
        tagger(self.applicationautoscaling_backend).tag_resource(
            checked_arn(self), [{"Key": k, "Value": v} for k, v in tags.items()]
        )
        return "{}"

    def untag_resource(self: Any) -> str:
        tagger(self.applicationautoscaling_backend).untag_resource_using_names(
            checked_arn(self), self._get_param("TagKeys") or []
        )
        return "{}"

    def list_tags_for_resource(self: Any) -> str:
        tags = tagger(self.applicationautoscaling_backend).get_tag_dict_for_resource(
            checked_arn(self)
        )
        return json.dumps({"Tags": tags})

    original_register = response_cls.register_scalable_target

    def register_scalable_target(self: Any) -> str:
        body = original_register(self)
        tags = self._get_param("Tags") or {}
        if tags:
            arn = json.loads(body)["ScalableTargetARN"]
            tagger(self.applicationautoscaling_backend).tag_resource(
                arn, [{"Key": k, "Value": v} for k, v in tags.items()]
            )
        return body

    original_deregister = backend_cls.deregister_scalable_target

    def deregister_scalable_target(self: Any, namespace: str, r_id: str, dimension: str) -> None:
        target = self.targets.get(dimension, {}).get(r_id)
        original_deregister(self, namespace, r_id, dimension)
        if target is not None:
            tagger(self).delete_all_tags_for_resource(target.arn)

    setattr(response_cls, "tag_resource", tag_resource)
    setattr(response_cls, "untag_resource", untag_resource)
    setattr(response_cls, "list_tags_for_resource", list_tags_for_resource)
    setattr(response_cls, "register_scalable_target", register_scalable_target)
    setattr(backend_cls, "deregister_scalable_target", deregister_scalable_target)


def security_group_rule_descriptions() -> None:
    """EC2: keep the description of rules that reference a security group or prefix list.

    moto's ``SecurityGroupRule.description`` reads only the CIDR range, so
    DescribeSecurityGroupRules drops the description of every
    ``referenced_security_group_id`` / ``prefix_list_id`` rule and each re-plan
    wants to add it back.
    """
    import inspect

    from moto.ec2.models.security_groups import SecurityGroupRule

    original_init = SecurityGroupRule.__init__
    signature = inspect.signature(original_init)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        bound = signature.bind(self, *args, **kwargs).arguments
        self.shim_prefix_list_description = (bound.get("prefix_list_id") or {}).get("Description")

    def description(self: Any) -> str | None:
        return (
            self.ip_range.get("Description")
            or self.source_group.get("Description")
            or getattr(self, "shim_prefix_list_description", None)
        )

    setattr(SecurityGroupRule, "__init__", __init__)
    setattr(SecurityGroupRule, "description", property(description))


# CreateService parameters moto 5.2 ignores although DescribeServices returns them.
ECS_SERVICE_PASSTHROUGH = (
    "availabilityZoneRebalancing",
    "deploymentConfiguration",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "healthCheckGracePeriodSeconds",
)


def ecs_create_service_settings() -> None:
    """ECS: remember the CreateService settings moto drops.

    moto's CreateService ignores ``healthCheckGracePeriodSeconds``,
    ``enableECSManagedTags``, ``availabilityZoneRebalancing`` and
    ``deploymentConfiguration``, so DescribeServices returns defaults and every
    re-plan wants to change them back. (UpdateService already stores them.)
    """
    from botocore import xform_name  # type: ignore[import-untyped]  # ships no type information
    from moto.ecs import responses

    original = responses.EC2ContainerServiceResponse.create_service

    def create_service(self: Any) -> Any:
        result = original(self)
        service = result.result["service"]  # type: ignore[index]  # moto types it as object; a dict at run time
        for key in ECS_SERVICE_PASSTHROUGH:
            value = self._get_param(key)
            if value is not None:
                setattr(service, xform_name(key), value)
        return result

    setattr(responses.EC2ContainerServiceResponse, "create_service", create_service)


# Request context the emulator gives S3 bucket-policy conditions: it stands in
# for the TLS endpoints of real S3 (it is plain HTTP on loopback only).
S3_REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def bool_condition(expected: Any, actual: str) -> bool:
    """IAM ``Bool`` condition operator: case-insensitive ``true``/``false`` match."""
    values = expected if isinstance(expected, list) else [expected]
    return actual.lower() in {str(v).lower() for v in values}


def s3_bucket_policy_conditions() -> None:
    """S3: evaluate ``Bool`` conditions in bucket policies against a request context.

    moto 5.2 ignores condition operators it does not know (``Bool``), gives
    bucket policies no request context, and turns a statement whose condition
    does not hold into an explicit deny. So the state bucket's "deny when
    aws:SecureTransport is false" denies everything and Terraform gets 403 on
    its state object. With the patch ``Bool`` is evaluated, a statement whose
    condition does not hold does not apply (as in AWS), and
    ``aws:SecureTransport`` is ``true``: the emulator stands in for S3's TLS
    endpoints (it is plain HTTP on loopback).
    """
    from moto.iam import policy_conditions
    from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult
    from moto.s3.models import FakeBucket

    operations: dict[str, Any] = policy_conditions.CONDITION_OPERATIONS
    operations["Bool"] = bool_condition
    original_statement = IAMPolicyStatement.is_action_permitted

    def is_action_permitted(
        self: Any,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> Any:
        if self._statement.get("Condition") and not self._check_conditions(
            incoming_condition_values
        ):
            return PermissionResult.NEUTRAL
        return original_statement(self, action, resource, principal, incoming_condition_values)

    setattr(IAMPolicyStatement, "is_action_permitted", is_action_permitted)

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        return IAMPolicy(self.policy.decode()).is_action_permitted(
            action, resource, incoming_condition_values=dict(S3_REQUEST_CONTEXT)
        )

    setattr(FakeBucket, "get_permission", get_permission)


def settle_service(service: Any, *, new_deployment: bool) -> None:
    """Make ``service`` look as the ECS scheduler leaves it once a deployment finished.

    One PRIMARY deployment of the service's task definition, ``COMPLETED``,
    with ``desiredCount`` tasks running. ``new_deployment`` gives it a new id
    and creation time (a new task definition or ``forceNewDeployment``).
    """
    from moto.core.utils import utcnow
    from moto.moto_api._internal import mock_random

    desired = service.desired_count or 0
    service.running_count = desired
    service.pending_count = 0
    if service.deployment_controller.get("type", "ECS") != "ECS":
        return
    now = utcnow()
    deployment = dict(service.deployments[0]) if service.deployments else {}
    if new_deployment or not deployment:
        deployment.update(id=f"ecs-svc/{mock_random.randint(0, 32**12)}", createdAt=now)
    deployment.update(
        status="PRIMARY",
        taskDefinition=service.task_definition,
        desiredCount=desired,
        runningCount=desired,
        pendingCount=0,
        failedTasks=0,
        rolloutState="COMPLETED",
        rolloutStateReason=f"ECS deployment {deployment['id']} completed.",
        updatedAt=now,
    )
    service.deployments = [deployment]


def ecs_steady_state() -> None:
    """ECS: services reach a steady state, as the ECS scheduler would leave them.

    moto starts no tasks: ``runningCount`` stays 0, and UpdateService keeps the
    old deployment and its task definition. So the provider's
    ``wait_for_steady_state`` (one deployment, ``runningCount == desiredCount``)
    would wait until its timeout, and DescribeServices would not show which
    task definition runs. With the patch every CreateService and UpdateService
    ends with one PRIMARY deployment of the service's task definition (as an
    ARN), ``COMPLETED``, all desired tasks running; a new task definition or
    ``forceNewDeployment`` starts a new deployment. Failures are not simulated.
    """
    from moto.ecs.models import EC2ContainerServiceBackend

    backend_cls = EC2ContainerServiceBackend
    original_create = backend_cls.create_service
    original_update = backend_cls.update_service

    def create_service(self: Any, *args: Any, **kwargs: Any) -> Any:
        service = original_create(self, *args, **kwargs)
        cluster = self._get_cluster(service.cluster_name)
        self.update_cluster_resources(cluster, -service.pending_count, task_state="PENDING")
        self.update_cluster_resources(
            cluster, service.desired_count - service.running_count, task_state="RUNNING"
        )
        settle_service(service, new_deployment=False)
        return service

    def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
        forced = bool(service_properties.get("force_new_deployment"))
        resized = service_properties.get("desired_count") is not None
        service = original_update(self, service_properties)
        if service.task_definition:  # moto keeps what was passed: family:revision or ARN
            service.task_definition = self.describe_task_definition(service.task_definition).arn
        before = service.deployments[0].get("taskDefinition") if service.deployments else None
        if not resized:  # moto took the service's tasks off the cluster and only re-adds on resize
            cluster = self._get_cluster(service.cluster_name)
            self.update_cluster_resources(cluster, service.desired_count, task_state="RUNNING")
        settle_service(service, new_deployment=forced or before != service.task_definition)
        return service

    setattr(backend_cls, "create_service", create_service)
    setattr(backend_cls, "update_service", update_service)


def elbv2_deletion_protection() -> None:
    """ELBv2: refuse DeleteLoadBalancer while deletion protection is on.

    moto deletes a load balancer whatever its ``deletion_protection.enabled``
    attribute says, so ``destroy`` of a protected environment succeeds in the
    rehearsal although AWS would refuse half-way. With the patch it answers
    ``OperationNotPermitted`` like AWS until the attribute is set to false.
    """
    from moto.elbv2.exceptions import ELBClientError
    from moto.elbv2.models import ELBv2Backend

    original = ELBv2Backend.delete_load_balancer

    def delete_load_balancer(self: Any, arn: str) -> None:
        balancer = self.load_balancers.get(arn)
        protected = balancer is not None and (
            str(balancer.attrs.get("deletion_protection.enabled", "false")).lower() == "true"
        )
        if protected:
            raise ELBClientError(
                "OperationNotPermitted",
                f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled",
            )
        original(self, arn)

    setattr(ELBv2Backend, "delete_load_balancer", delete_load_balancer)


def elbv2_repeated_target_group_delete() -> None:
    """ELBv2: a repeated DeleteTargetGroup of a group this emulator deleted succeeds.

    On a loaded machine the SDK may resend a DeleteTargetGroup whose answer came
    late; moto had already deleted the group and answers the resent request with
    ``TargetGroupNotFound``, which fails the apply that replaced the group. The
    patch remembers the groups it deleted and lets a repeated delete of one of
    them succeed; a group that never existed is still ``TargetGroupNotFound``.
    """
    from moto.elbv2.models import ELBv2Backend

    original = ELBv2Backend.delete_target_group

    def delete_target_group(self: Any, target_group_arn: str) -> Any:
        deleted: set[str] = self.__dict__.setdefault("shim_deleted_target_groups", set())
        if target_group_arn in deleted and target_group_arn not in self.target_groups:
            return None
        result = original(self, target_group_arn)
        deleted.add(target_group_arn)
        return result

    setattr(ELBv2Backend, "delete_target_group", delete_target_group)


# moto's name for an S3 call -> the IAM action AWS authorizes it as.
S3_IAM_ACTIONS = {"HeadBucket": "ListBucket"}


def s3_role_session_authorization() -> None:
    """S3: requests signed with role-session credentials are checked against the role's policies.

    moto enforces IAM only after ``INITIAL_NO_AUTH_ACTION_COUNT`` requests, for
    every caller at once, so the rehearsal's own fake keys would be refused too.
    With the patch, S3 requests signed with temporary credentials from STS
    (``ASIA...`` keys, such as the CI roles' sessions) are always authorized by
    moto's own evaluator, which matches S3 object and bucket ARNs; every other
    request is as before. Only S3: for other services moto checks actions
    against ``*`` alone, so ARN-scoped statements could not match.

    moto names HeadBucket ``s3:HeadBucket``, which no IAM policy can grant; it is
    authorized as AWS does, as ``s3:ListBucket`` (``S3_IAM_ACTIONS``). Bucket
    calls moto does not name (``?encryption``, ``?publicAccessBlock``, ...) it
    authorizes as ``s3:ListBucket`` or ``s3:CreateBucket``: looser than AWS, never
    stricter.
    """
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam.access_control import S3IAMRequest

    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        credential = str(self.headers.get("Authorization", "")).split("Credential=")[-1]
        if iam_request_cls is not S3IAMRequest or not credential.startswith("ASIA"):
            original(self, iam_request_cls, resource)
            return
        request = iam_request_cls(
            account_id=self.current_account,
            method=self.method,
            path=self.raw_path
            + (f"?{urlparse(self.uri).query}" if urlparse(self.uri).query else ""),
            data=self.data,
            body=self.raw_body,
            headers=self.headers,
            action=S3_IAM_ACTIONS.get(self._get_action(), self._get_action()),
        )
        request.check_signature()
        request.check_action_permitted(resource)

    setattr(ActionAuthenticatorMixin, "_authenticate_and_authorize_action", authorize)


ALL = (
    appautoscaling_tags,
    security_group_rule_descriptions,
    ecs_create_service_settings,
    s3_bucket_policy_conditions,
    ecs_steady_state,
    elbv2_deletion_protection,
    elbv2_repeated_target_group_delete,
    s3_role_session_authorization,
)
