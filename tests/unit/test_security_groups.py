"""Security groups: each hop admits only the previous hop, every rule named and described."""

from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from tests.synth import ref_name

STACK = "dev-foundation"
INGRESS = VpcSecurityGroupIngressRule.TF_RESOURCE_TYPE
EGRESS = VpcSecurityGroupEgressRule.TF_RESOURCE_TYPE


sg_key = ref_name


def rules(synthed, tf_type, stack=STACK):
    return {r["tags"]["Name"]: r for r in synthed.resources(stack, tf_type)}


def test_five_security_groups_exist(synthed):
    groups = synthed.resources(STACK, SecurityGroup.TF_RESOURCE_TYPE)
    names = {sg["tags"]["Name"] for sg in groups}
    assert names == {
        f"ecs-learn-dev-{n}"
        for n in (
            "external-alb",
            "frontend-tasks",
            "internal-alb",
            "backend-tasks",
            "vpc-endpoints",
        )
    }


def test_alb_and_endpoint_groups_are_replacement_safe(synthed):
    # GIVEN a change that replaces a group (its description, say)
    # THEN the new group can be created beside the old one: a generated name, created first.
    groups = {
        g["tags"]["Name"]: g for g in synthed.resources(STACK, SecurityGroup.TF_RESOURCE_TYPE)
    }
    for key in ("external-alb", "internal-alb", "vpc-endpoints"):
        sg = groups[f"ecs-learn-dev-{key}"]
        assert "name" not in sg, key
        assert sg["name_prefix"] == f"ecs-learn-dev-{key}-"
        assert sg["lifecycle"] == {"create_before_destroy": True}


def test_task_groups_keep_fixed_names_as_the_services_stack_uses_them(synthed):
    # Their old group could not be deleted during the foundation apply while tasks use it.
    groups = {
        g["tags"]["Name"]: g for g in synthed.resources(STACK, SecurityGroup.TF_RESOURCE_TYPE)
    }
    for key in ("frontend-tasks", "backend-tasks"):
        sg = groups[f"ecs-learn-dev-{key}"]
        assert sg["name"] == f"ecs-learn-dev-{key}"
        assert "lifecycle" not in sg


def test_security_groups_have_no_inline_rules(synthed):
    for sg in synthed.resources(STACK, SecurityGroup.TF_RESOURCE_TYPE):
        assert "ingress" not in sg and "egress" not in sg


def test_every_rule_is_tcp_single_port_with_a_description(synthed):
    for tf_type in (INGRESS, EGRESS):
        for name, rule in rules(synthed, tf_type).items():
            assert rule["ip_protocol"] == "tcp", name
            assert rule["from_port"] == rule["to_port"], name
            assert len(rule["description"]) > 10, name


def test_only_the_external_alb_is_open_to_the_internet(synthed):
    open_rules = [
        name for name, r in rules(synthed, INGRESS).items() if r.get("cidr_ipv4") == "0.0.0.0/0"
    ]
    assert open_rules == ["external-alb-http-from-internet"]
    assert rules(synthed, INGRESS)["external-alb-http-from-internet"]["from_port"] == 80


def test_frontend_tasks_accept_3000_only_from_external_alb(synthed):
    rule = rules(synthed, INGRESS)["frontend-tasks-from-external-alb"]
    assert (rule["from_port"], sg_key(rule["security_group_id"])) == (3000, "frontend-tasks")
    assert sg_key(rule["referenced_security_group_id"]) == "external-alb"


def test_internal_alb_accepts_80_only_from_frontend_tasks(synthed):
    rule = rules(synthed, INGRESS)["internal-alb-http-from-frontend-tasks"]
    assert (rule["from_port"], sg_key(rule["security_group_id"])) == (80, "internal-alb")
    assert sg_key(rule["referenced_security_group_id"]) == "frontend-tasks"


def test_backend_tasks_accept_8080_only_from_internal_alb(synthed):
    rule = rules(synthed, INGRESS)["backend-tasks-from-internal-alb"]
    assert (rule["from_port"], sg_key(rule["security_group_id"])) == (8080, "backend-tasks")
    assert sg_key(rule["referenced_security_group_id"]) == "internal-alb"


def test_albs_egress_only_to_their_targets(synthed):
    out = rules(synthed, EGRESS)
    assert sg_key(out["external-alb-to-frontend-tasks"]["referenced_security_group_id"]) == (
        "frontend-tasks"
    )
    assert out["external-alb-to-frontend-tasks"]["from_port"] == 3000
    assert sg_key(out["internal-alb-to-backend-tasks"]["referenced_security_group_id"]) == (
        "backend-tasks"
    )
    assert out["internal-alb-to-backend-tasks"]["from_port"] == 8080


def test_no_egress_rule_is_open_to_the_internet(synthed):
    for name, rule in rules(synthed, EGRESS).items():
        assert "cidr_ipv4" not in rule, name


def test_frontend_may_call_the_internal_alb_but_backend_may_not(synthed):
    out = rules(synthed, EGRESS)
    assert out["frontend-tasks-to-internal-alb"]["from_port"] == 80
    assert not any(n.startswith("backend-tasks-to-internal") for n in out)


def test_https_on_public_alb_only_with_certificate(synthed, synthed_tag_https):
    assert "external-alb-https-from-internet" not in rules(synthed, INGRESS)
    rule = rules(synthed_tag_https, INGRESS, "dev-foundation")["external-alb-https-from-internet"]
    assert (rule["from_port"], rule["cidr_ipv4"]) == (443, "0.0.0.0/0")
