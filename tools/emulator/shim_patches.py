"""The individual moto patches; see ``tools.emulator.shim`` and docs/emulator.md."""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlparse

from moto.core.exceptions import JsonRESTError
from moto.utilities.tagging_service import TaggingService

from tools.emulator import iam_eval, iam_requests, targets
from tools.emulator.ecs_agent import start_problem
from tools.emulator.iam_eval import IAM_LOG_VARIABLE
from tools.emulator.iam_requests import parse_params
from tools.emulator.iam_state import Backends


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
    ``forceNewDeployment`` starts a new deployment. Tasks that could not start are
    ``ecs_task_start_authorization``'s.
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


def ec2_one_route_table_per_subnet() -> None:
    """EC2: refuse AssociateRouteTable for a subnet that already has an explicit association.

    "You can only associate a subnet with one route table at a time" (Amazon VPC
    User Guide, *Subnet route tables*); AWS answers a second AssociateRouteTable
    with ``Resource.AlreadyAssociated: the specified association for route table
    rtb-... conflicts with an existing association`` (the provider's error text in
    hashicorp/terraform-provider-aws#38960). moto returns the existing association
    instead, so a recovery that left an association out of state would re-apply
    cleanly here and fail on AWS.
    """
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.route_tables import RouteBackend

    original = RouteBackend.associate_route_table

    def associate_route_table(
        self: Any,
        route_table_id: str,
        gateway_id: str | None = None,
        subnet_id: str | None = None,
    ) -> str:
        if subnet_id is not None:
            for table in self.route_tables.values():
                if subnet_id in table._associations.values():
                    raise EC2ClientError(
                        "Resource.AlreadyAssociated",
                        f"the specified association for route table {route_table_id} "
                        "conflicts with an existing association",
                    )
        return str(original(self, route_table_id, gateway_id=gateway_id, subnet_id=subnet_id))

    setattr(RouteBackend, "associate_route_table", associate_route_table)


# moto's name for an S3 call -> the IAM action AWS authorizes it as.
S3_IAM_ACTIONS = {"HeadBucket": "ListBucket"}


def _request_params(response: Any) -> dict[str, Any]:
    if getattr(response, "automated_parameter_parsing", False) and isinstance(
        getattr(response, "params", None), dict
    ):
        return dict(response.params)
    body = response.body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    if text.lstrip().startswith("{"):
        return parse_params(text, {})
    try:
        return dict(response._get_params())
    except Exception:
        return parse_params(None, dict(response.querystring))


class IamLog:
    """One JSON line per authorized request, to ``$EMULATOR_IAM_LOG`` when set."""

    _lock = __import__("threading").Lock()

    @classmethod
    def write(cls, record: dict[str, Any]) -> None:
        path = os.environ.get(IAM_LOG_VARIABLE)
        if not path:
            return
        with cls._lock, open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")


def _access_denied(message: str, *, json_protocol: bool) -> Exception:
    """AWS's ``AccessDenied`` (HTTP 403) with ``message``, in the protocol's error format."""
    from moto.core.exceptions import _RESTError

    error = (JsonRESTError if json_protocol else _RESTError)("AccessDenied", message)
    error.code = 403
    return error


def role_session_authorization() -> None:
    """Requests signed by a role session are authorized as IAM does, for every service.

    moto enforces IAM only after ``INITIAL_NO_AUTH_ACTION_COUNT`` requests, for every
    caller at once, and then matches actions against ``*`` alone: a statement scoped
    to an action's wrong resource type passes, and conditions are ignored. With the
    patch, requests signed with STS temporary credentials (``ASIA...`` keys, the CI
    roles' sessions) are evaluated by ``tools.emulator.iam_eval`` against the role's
    inline and attached policies and its permissions boundary, following AWS's
    policy evaluation logic
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html);
    ``tools.emulator.iam_requests`` derives the resources and condition keys from the
    request as the Service Authorization Reference defines them. An action that
    supports no resource-level permissions is checked on ``"*"`` only. A denial
    answers ``AccessDenied`` naming the role, action, resource and the statements that
    came closest. Every other caller (the emulator's admin keys) is as before.

    S3: moto names HeadBucket ``s3:HeadBucket``, which no IAM policy can grant; it is
    authorized as AWS does, as ``s3:ListBucket``.
    """
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam.access_control import S3IAMRequest
    from moto.utilities.utils import get_partition

    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        credential = str(self.headers.get("Authorization", "")).split("Credential=")[-1]
        if not credential.startswith("ASIA"):
            original(self, iam_request_cls, resource)
            return
        query = urlparse(self.uri).query
        s3 = iam_request_cls is S3IAMRequest
        action = self._get_action()
        request = iam_request_cls(
            account_id=self.current_account,
            method=self.method,
            path=self.raw_path + (f"?{query}" if query else ""),
            data=self.data,
            body=self.raw_body,
            headers=self.headers,
            action=S3_IAM_ACTIONS.get(action, action) if s3 else action,
        )
        request.check_signature()
        if request._action == "sts:GetCallerIdentity":
            return  # AWS needs no permission for it
        scope = credential.split("/")
        region, service = scope[2], scope[3]
        partition = get_partition(region)
        backends = Backends(self.current_account, region, partition)
        role = backends.role(request._access_key._owner_role_name)
        principal = str(request._access_key.arn)
        if s3:
            checks = [iam_eval.Request(request._action, (resource,))]
            modelled = True
        else:
            call = iam_requests.Call(
                prefix=iam_requests.IAM_PREFIX.get(service, service),
                action=action,
                params=_request_params(self),
                partition=partition,
                region=region,
                account=self.current_account,
                principal=role.arn if role else principal,
                backends=backends,
            )
            checks, modelled = iam_requests.authorizations(call)
        policies, boundary = backends.policies(role) if role else ([], None)
        base = {"aws:SecureTransport": ["true"], "aws:RequestedRegion": [region]}
        if role is not None:
            base["aws:PrincipalArn"] = [str(role.arn)]
        for check in checks:
            evaluated = iam_eval.Request(check.action, check.resources, {**base, **check.context})
            if not modelled:  # resources unknown: the action alone, as moto would
                evaluated = iam_eval.Request(check.action, ("*",), base)
            decision = iam_eval.evaluate(evaluated, policies, boundary=boundary)
            if not modelled and not decision.allowed and decision.closest:
                decision = iam_eval.Decision(True)  # some statement grants the action somewhere
            message = (
                "" if decision.allowed else iam_eval.describe_denial(principal, evaluated, decision)
            )
            IamLog.write(
                {
                    "principal": principal,
                    "action": check.action,
                    "resources": list(check.resources),
                    "modelled": modelled,
                    "allowed": decision.allowed,
                    "reason": decision.reason,
                    "message": message,
                }
            )
            if not decision.allowed:
                print(f"iam: DENIED {message}", flush=True)
                if s3:
                    request._raise_access_denied()
                raise _access_denied(message, json_protocol=bool(self.headers.get("X-Amz-Target")))

    setattr(ActionAuthenticatorMixin, "_authenticate_and_authorize_action", authorize)


def fail_start(service: Any, problem: str, previous: str | None) -> None:
    """Leave ``service`` as ECS does when its new tasks cannot start: the circuit
    breaker fails the deployment, and with rollback on (and an earlier task definition)
    it rolls back to it; otherwise no task runs."""
    from moto.core.utils import utcnow
    from moto.moto_api._internal import mock_random

    settings = getattr(service, "deployment_configuration", None) or {}
    breaker = settings.get("deploymentCircuitBreaker") or {}
    event = {
        "id": str(mock_random.uuid4()),
        "createdAt": utcnow(),
        "message": f"(service {service.name}) tasks failed to start: {problem}",
    }
    service.events.insert(0, event)
    if breaker.get("rollback") and previous and previous != service.task_definition:
        failed = service.task_definition
        service.task_definition = previous
        settle_service(service, new_deployment=True)
        service.deployments[0]["rolloutStateReason"] = (
            f"ECS deployment circuit breaker: rolled back from {failed}: {problem}"
        )
        return
    service.running_count = 0
    if service.deployments:
        service.deployments[0].update(
            runningCount=0,
            failedTasks=service.desired_count or 0,
            rolloutState="FAILED",
            rolloutStateReason=f"ECS deployment circuit breaker: tasks failed to start. {problem}",
        )


def ecs_task_start_authorization() -> None:
    """ECS: a task starts only if its execution role lets the ECS agent start it.

    moto starts no task, so an execution role that cannot pull the image, write the
    log stream or read a secret goes unnoticed. On AWS the agent makes those calls with
    the execution role before the task runs
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html),
    and a refused call stops the task with ``CannotPullContainerError`` or
    ``ResourceInitializationError``; the deployment circuit breaker then fails the
    deployment or rolls it back
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html).
    With the patch, each CreateService and UpdateService evaluates those calls with
    ``tools.emulator.iam_eval`` (``tools.emulator.ecs_agent``); a denial is a service
    event naming the reason, and the deployment fails (no task runs) or, with rollback
    on, goes back to the previous task definition.
    """
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.utilities.utils import get_partition

    backend_cls = EC2ContainerServiceBackend
    inner_create = backend_cls.create_service
    inner_update = backend_cls.update_service

    def check(self: Any, service: Any, previous: str | None) -> Any:
        backends = Backends(self.account_id, self.region_name, get_partition(self.region_name))
        problem = start_problem(self.describe_task_definition(service.task_definition), backends)
        if problem:
            print(f"ecs: {service.name}: {problem}", flush=True)
            fail_start(service, problem, previous)
        return service

    def create_service(self: Any, *args: Any, **kwargs: Any) -> Any:
        return check(self, inner_create(self, *args, **kwargs), None)

    def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
        cluster = service_properties.get("cluster", "default")
        name = str(service_properties["service"]).split("/")[-1]
        running = self._get_service(cluster, name).task_definition
        previous = self.describe_task_definition(running).arn if running else None
        return check(self, inner_update(self, service_properties), previous)

    setattr(backend_cls, "create_service", create_service)
    setattr(backend_cls, "update_service", update_service)


def ecs_deployment_alarms() -> None:
    """ECS: a deployment whose alarms are in ALARM fails, and rolls back if asked to.

    With ``deploymentConfiguration.alarms`` enabled, ECS watches the named CloudWatch
    alarms during a deployment; one in ALARM fails it, and with ``rollback`` ECS goes
    back to the last completed deployment
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html).
    moto keeps the setting and never looks at an alarm, so a release that trips its
    alarms completes here. With the patch, each UpdateService that starts a new
    deployment reads the alarms' state from the emulator's CloudWatch (an alarm is put
    in ALARM with ``SetAlarmState``): one in ALARM fails the deployment or rolls it back.
    """
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.core.utils import utcnow
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.moto_api._internal import mock_random

    backend_cls = EC2ContainerServiceBackend
    inner_update = backend_cls.update_service

    def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
        cluster = service_properties.get("cluster", "default")
        name = str(service_properties["service"]).split("/")[-1]
        running = self._get_service(cluster, name).task_definition
        previous = self.describe_task_definition(running).arn if running else None
        service = inner_update(self, service_properties)
        settings = (getattr(service, "deployment_configuration", None) or {}).get("alarms") or {}
        if not settings.get("enable") or service.task_definition == previous:
            return service
        alarms = cloudwatch_backends[self.account_id][self.region_name].alarms
        firing = [
            n
            for n in settings.get("alarmNames", [])
            if getattr(alarms.get(n), "state_value", None) == "ALARM"
        ]
        if not firing:
            return service
        problem = f"alarm(s) {', '.join(firing)} in ALARM during the deployment"
        service.events.insert(
            0,
            {
                "id": str(mock_random.uuid4()),
                "createdAt": utcnow(),
                "message": f"(service {service.name}) deployment failed: {problem}",
            },
        )
        if settings.get("rollback") and previous:
            failed, service.task_definition = service.task_definition, previous
            settle_service(service, new_deployment=True)
            service.deployments[0]["rolloutStateReason"] = (
                f"ECS deployment alarms: rolled back from {failed}: {problem}"
            )
        elif service.deployments:
            service.deployments[0].update(
                rolloutState="FAILED", rolloutStateReason=f"ECS deployment alarms: {problem}"
            )
        return service

    setattr(backend_cls, "update_service", update_service)


# Fargate's task sizes: CPU units -> the memory (MiB) each allows, from
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}


def task_definition_problem(
    containers: list[dict[str, Any]], compatibilities: list[str], cpu: Any, memory: Any
) -> str | None:
    """AWS's refusal of a task definition, or None. ``essential`` defaults to true."""
    if containers and not any(c.get("essential", True) for c in containers):
        return "Task definition doesn't have any essential container."
    if "FARGATE" in compatibilities:
        try:
            size = (int(str(cpu)), int(str(memory)))
        except ValueError:
            size = None
        if size is None or size[1] not in FARGATE_SIZES.get(size[0], ()):
            return (
                f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. "
                "See the Amazon ECS documentation for the valid values."
            )
    return None


def ecs_task_definition_rules() -> None:
    """ECS: RegisterTaskDefinition refuses what AWS refuses: no essential container, and a
    Fargate CPU/memory pair that is not in AWS's table.

    "All tasks must have at least one essential container"
    (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html),
    and a Fargate task's ``cpu``/``memory`` must be one of the pairs in
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html.
    moto registers both. With the patch they are ``ClientException``, with AWS's messages.
    """
    from moto.ecs import responses
    from moto.ecs.exceptions import EcsClientException

    original = responses.EC2ContainerServiceResponse.register_task_definition

    def register_task_definition(self: Any) -> Any:
        problem = task_definition_problem(
            self._get_param("containerDefinitions") or [],
            self._get_param("requiresCompatibilities") or [],
            self._get_param("cpu"),
            self._get_param("memory"),
        )
        if problem:
            raise EcsClientException(problem)
        return original(self)

    setattr(
        responses.EC2ContainerServiceResponse, "register_task_definition", register_task_definition
    )


def ecs_service_targets() -> None:
    """ECS: a service's running tasks are targets of its target groups, and a group must
    belong to a load balancer.

    On AWS, ECS registers each task's IP with the service's target groups at the
    container port and deregisters it when the task stops
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb.html); and
    CreateService or UpdateService with a target group that no load balancer uses is
    refused, ``InvalidParameterException`` "The target group with targetGroupArn ... does
    not have an associated load balancer." (the group must be in a listener's action;
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html,
    ``loadBalancers``).
    moto starts no task, so target groups stay empty whatever ECS runs, and it takes any
    group. With the patch the groups follow the service's running tasks
    (``tools.emulator.targets``), and the unattached group is refused with AWS's message.
    """
    from moto.ecs import responses
    from moto.ecs.exceptions import InvalidParameterException
    from moto.ecs.models import EC2ContainerServiceBackend

    response_cls, backend_cls = responses.EC2ContainerServiceResponse, EC2ContainerServiceBackend
    inner_create = backend_cls.create_service
    inner_update = backend_cls.update_service
    inner_delete = backend_cls.delete_service

    def refusing_unattached(inner: Any) -> Any:
        def call(self: Any) -> Any:
            backend = self.ecs_backend
            problem = targets.unattached_group_problem(
                self._get_param("loadBalancers"), backend.account_id, backend.region_name
            )
            if problem:
                raise InvalidParameterException(problem)
            return inner(self)

        return call

    def create_service(self: Any, *args: Any, **kwargs: Any) -> Any:
        service = inner_create(self, *args, **kwargs)
        targets.sync_service(service, self.account_id, self.region_name)
        return service

    def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
        service = inner_update(self, service_properties)
        targets.sync_service(service, self.account_id, self.region_name)
        return service

    def delete_service(self: Any, cluster_name: str, service_name: str, force: bool) -> Any:
        service = inner_delete(self, cluster_name, service_name, force)
        targets.sync_service(service, self.account_id, self.region_name, deleted=True)
        return service

    for action in ("create_service", "update_service"):
        setattr(response_cls, action, refusing_unattached(getattr(response_cls, action)))
    setattr(backend_cls, "create_service", create_service)
    setattr(backend_cls, "update_service", update_service)
    setattr(backend_cls, "delete_service", delete_service)


def elbv2_target_health() -> None:
    """ELBv2: a target is healthy only if a listener uses its group and the security
    groups let the health check reach it.

    ELB reports ``unused`` (``Target.NotInUse``) for targets of a group no listener
    forwards to, and ``unhealthy`` (``Target.Timeout``) when the load balancer's
    security groups do not allow it out to the target's port or the target's do not
    allow it in (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html,
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-update-security-groups.html).
    moto calls every registered target healthy. With the patch, the tasks ECS registered
    (``ecs_service_targets``) are judged by those two rules (``tools.emulator.targets``).
    """
    from moto.elbv2.models import FakeTargetGroup

    inner = FakeTargetGroup.health_for

    def health_for(self: Any, target: dict[str, Any], ec2_backend: Any) -> Any:
        return targets.health(self, inner(self, target, ec2_backend))

    setattr(FakeTargetGroup, "health_for", health_for)


COMPARISONS: dict[str, Any] = {
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "GreaterThanThreshold": lambda v, t: v > t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


def alarm_breaches(alarm: Any, values: list[float]) -> bool | None:
    """Whether ``alarm`` is in ALARM given its evaluation periods' ``values`` (one per
    period with data): M of N breaching, M = ``datapoints_to_alarm`` or N; None when it
    cannot tell (no data, or a comparison this emulator does not evaluate)."""
    compare = COMPARISONS.get(alarm.comparison_operator)
    if compare is None or not values:
        return None
    needed = int(alarm.datapoints_to_alarm or alarm.evaluation_periods)
    return sum(1 for v in values if compare(v, float(alarm.threshold))) >= needed


def cloudwatch_alarm_evaluation() -> None:
    """CloudWatch: a metric alarm follows its metric.

    CloudWatch evaluates a metric alarm on the datapoints of its last
    ``EvaluationPeriods`` periods, and goes to ALARM when ``DatapointsToAlarm`` (default:
    all) of them breach the threshold
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation).
    moto stores PutMetricData and never looks at an alarm, so a release whose targets answer
    5xx trips nothing. With the patch every PutMetricData evaluates the alarms on that
    metric (same namespace, name and dimensions) over their window ending now, and moves
    them to ALARM or OK with a reason naming the values.
    """
    from datetime import timedelta

    from moto.cloudwatch.models import CloudWatchBackend
    from moto.core.utils import utcnow

    inner = CloudWatchBackend.put_metric_data

    def put_metric_data(self: Any, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        inner(self, namespace, metric_data)
        now = utcnow()
        names = {m["MetricName"] for m in metric_data}
        for alarm in list(self.alarms.values()):
            if alarm.namespace != namespace or alarm.metric_name not in names:
                continue
            if not alarm.statistic:
                continue
            dimensions = [{"Name": d.name, "Value": d.value} for d in alarm.dimensions]
            window = timedelta(seconds=int(alarm.period) * int(alarm.evaluation_periods))
            stats = self.get_metric_statistics(
                namespace,
                alarm.metric_name,
                now - window,
                now + timedelta(seconds=1),
                int(alarm.period),
                [alarm.statistic],
                dimensions,
            )
            values = [float(s.get_statistics_for_type(alarm.statistic) or 0) for s in stats]
            breaching = alarm_breaches(alarm, values)
            if breaching is None:
                continue
            state = "ALARM" if breaching else "OK"
            if state != alarm.state_value:
                reason = f"Threshold Crossed: {alarm.statistic} {values} against {alarm.threshold}"
                alarm.update_state(reason, "{}", state)

    setattr(CloudWatchBackend, "put_metric_data", put_metric_data)


ALL = (
    appautoscaling_tags,
    security_group_rule_descriptions,
    ecs_create_service_settings,
    s3_bucket_policy_conditions,
    ecs_steady_state,
    elbv2_deletion_protection,
    elbv2_repeated_target_group_delete,
    ec2_one_route_table_per_subnet,
    role_session_authorization,
    ecs_task_definition_rules,
    ecs_task_start_authorization,
    ecs_deployment_alarms,
    ecs_service_targets,
    elbv2_target_health,
    cloudwatch_alarm_evaluation,
)
