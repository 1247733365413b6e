"""The two rules that let a load balancer reach a service's tasks on its port."""

from __future__ import annotations

from cdktf import DataResource, TerraformResourceLifecycle

from constructs import Construct
from constructs.sg_rules import allow_in, allow_out


class LoadBalancerToTasks(Construct):
    """An egress rule on the load balancer's group to the tasks' group on ``port``, and
    the matching ingress rule on the tasks' group, named ``<lb_key>-to-<tasks_key>``
    and ``<tasks_key>-from-<lb_key>``.

    They live beside the service, not with the groups, so that a port change is one
    apply with no outage. A port change replaces both rules create-before-destroy
    (``replace_triggered_by`` a ``terraform_data`` holding the port): the new rules
    come first, the service (which depends on ``rules``) then rolls its tasks onto the
    new port while both ports are open, and the old rules go only after that.

    Attributes: ``rules`` (for the service's ``depends_on``).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        lb_key: str,
        tasks_key: str,
        load_balancer_sg_id: str,
        tasks_sg_id: str,
        port: int,
    ) -> None:
        super().__init__(scope, id_)
        if lb_key == tasks_key:
            raise ValueError(f"lb_key={lb_key!r} and tasks_key={tasks_key!r} must differ")
        marker = DataResource(self, "port", input={"port": port})
        # A bare address: Terraform refuses a "${...}" template in lifecycle blocks.
        address = f"{marker.terraform_resource_type}.{marker.friendly_unique_id}"
        lifecycle = TerraformResourceLifecycle(
            create_before_destroy=True, replace_triggered_by=[address]
        )
        out = allow_out(
            self,
            f"{lb_key}-to-{tasks_key}",
            security_group_id=load_balancer_sg_id,
            port=port,
            peer_sg=tasks_sg_id,
            description=f"Forward requests and health checks to {tasks_key} on {port}",
        )
        into = allow_in(
            self,
            f"{tasks_key}-from-{lb_key}",
            security_group_id=tasks_sg_id,
            port=port,
            peer_sg=load_balancer_sg_id,
            description=f"Port {port} only from the {lb_key}",
        )
        out.lifecycle = lifecycle
        into.lifecycle = lifecycle
        self.rules = [out, into]
