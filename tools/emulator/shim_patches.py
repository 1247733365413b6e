"""The moto patches ``tools.emulator.shim`` applies; ``(#N)``: gap N in docs/emulator.md."""

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
    """Application Auto Scaling: TagResource, UntagResource, ListTagsForResource (#1)."""
    from moto.applicationautoscaling import models, responses

    backend_cls = models.ApplicationAutoscalingBackend
    response_cls = responses.ApplicationAutoScalingResponse

    def tagger(backend: Any) -> TaggingService:
        tags: TaggingService = backend.__dict__.setdefault("shim_tags", TaggingService())
        return tags

    def add_tags(self: Any, arn: str) -> None:
        tags = TaggingService.convert_dict_to_tags_input(self._get_param("Tags"))
        tagger(self.applicationautoscaling_backend).tag_resource(arn, tags)

    def checked_arn(self: Any) -> str:
        arn = str(self._get_param("ResourceARN"))
        backend = self.applicationautoscaling_backend
        if arn not in {t.arn for targets in backend.targets.values() for t in targets.values()}:
            raise JsonRESTError("ResourceNotFoundException", f"No resource found for {arn}")
        return arn

    def tag_resource(self: Any) -> str:
        add_tags(self, checked_arn(self))
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
        add_tags(self, json.loads(body)["ScalableTargetARN"])
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
    """EC2: keep the description of rules that reference a security group or prefix list (#3)."""
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
    """ECS: remember the CreateService settings moto drops (#4)."""
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
    """S3: evaluate ``Bool`` conditions in bucket policies against a request context (#5)."""
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
    """ECS: services reach a steady state, as the ECS scheduler leaves them (#6).

    Tasks that could not start are ``ecs_task_start_authorization``'s.
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
    """ELBv2: refuse DeleteLoadBalancer while deletion protection is on (#7)."""
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
    """ELBv2: a repeated DeleteTargetGroup of a group this emulator deleted succeeds (#8)."""
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
    """EC2: refuse a second AssociateRouteTable for one subnet (#12).

    The error text is the provider's in hashicorp/terraform-provider-aws#38960.
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
    """Requests signed by a role session are authorized as IAM does (#9)."""
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


def fail_deployment(
    service: Any,
    event: str,
    problem: str,
    *,
    cause: str,
    rollback_to: str | None,
    failure: str = "",
) -> bool:
    """Leave ``service`` as ECS does when ``cause`` fails its deployment: an event
    ``<event>: <problem>``, then back to ``rollback_to`` (True) when it is an earlier task
    definition, else the deployment ``FAILED`` for ``<cause>: <failure or problem>``."""
    from moto.core.utils import utcnow
    from moto.moto_api._internal import mock_random

    message = f"(service {service.name}) {event}: {problem}"
    event_id = str(mock_random.uuid4())
    service.events.insert(0, {"id": event_id, "createdAt": utcnow(), "message": message})
    if rollback_to and rollback_to != service.task_definition:
        failed, service.task_definition = service.task_definition, rollback_to
        settle_service(service, new_deployment=True)
        service.deployments[0]["rolloutStateReason"] = (
            f"{cause}: rolled back from {failed}: {problem}"
        )
        return True
    if service.deployments:
        service.deployments[0].update(
            rolloutState="FAILED", rolloutStateReason=f"{cause}: {failure or problem}"
        )
    return False


def running_task_definition(backend: Any, service_properties: dict[str, Any]) -> str | None:
    """The ARN of the task definition the service an UpdateService names runs now."""
    cluster = service_properties.get("cluster", "default")
    name = str(service_properties["service"]).split("/")[-1]
    running = backend._get_service(cluster, name).task_definition
    return backend.describe_task_definition(running).arn if running else None


def ecs_task_start_authorization() -> None:
    """ECS: a task starts only if its execution role lets the ECS agent start it (#11).

    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
    """
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.utilities.utils import get_partition

    backend_cls = EC2ContainerServiceBackend
    inner_create = backend_cls.create_service
    inner_update = backend_cls.update_service

    def check(self: Any, service: Any, previous: str | None) -> Any:
        backends = Backends(self.account_id, self.region_name, get_partition(self.region_name))
        problem = start_problem(self.describe_task_definition(service.task_definition), backends)
        if not problem:
            return service
        print(f"ecs: {service.name}: {problem}", flush=True)
        settings = getattr(service, "deployment_configuration", None) or {}
        breaker = settings.get("deploymentCircuitBreaker") or {}
        rolled_back = fail_deployment(
            service,
            "tasks failed to start",
            problem,
            cause="ECS deployment circuit breaker",
            failure=f"tasks failed to start. {problem}",
            rollback_to=breaker.get("rollback") and previous,
        )
        if not rolled_back:  # no task runs
            service.running_count = 0
            for deployment in service.deployments[:1]:
                deployment.update(runningCount=0, failedTasks=service.desired_count or 0)
        return service

    def create_service(self: Any, *args: Any, **kwargs: Any) -> Any:
        return check(self, inner_create(self, *args, **kwargs), None)

    def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
        previous = running_task_definition(self, service_properties)
        return check(self, inner_update(self, service_properties), previous)

    setattr(backend_cls, "create_service", create_service)
    setattr(backend_cls, "update_service", update_service)


def ecs_deployment_alarms() -> None:
    """ECS: a deployment whose alarms are in ALARM fails, or rolls back (#13)."""
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.ecs.models import EC2ContainerServiceBackend

    backend_cls = EC2ContainerServiceBackend
    inner_update = backend_cls.update_service

    def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
        previous = running_task_definition(self, service_properties)
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
        if firing:
            problem = f"alarm(s) {', '.join(firing)} in ALARM during the deployment"
            fail_deployment(
                service,
                "deployment failed",
                problem,
                cause="ECS deployment alarms",
                rollback_to=settings.get("rollback") and previous,
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
    """ECS: RegisterTaskDefinition refuses what AWS refuses (#10)."""
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
    """ECS: a service's running tasks are targets of its groups; a group needs a balancer (#14)."""
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
    """ELBv2: a target is healthy only if a listener uses it and its health check gets in (#15)."""
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
    """CloudWatch: a metric alarm follows its metric (#16)."""
    from datetime import timedelta

    from moto.cloudwatch.models import CloudWatchBackend
    from moto.core.utils import utcnow

    inner = CloudWatchBackend.put_metric_data

    def put_metric_data(self: Any, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        inner(self, namespace, metric_data)
        now = utcnow()
        metrics = {(namespace, m["MetricName"]) for m in metric_data}
        for alarm in list(self.alarms.values()):
            if not alarm.statistic or (alarm.namespace, alarm.metric_name) not in metrics:
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
