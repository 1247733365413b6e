"""tools/review/diagram.py: what the diagram shows is read from the synthesized stacks.

Expected values come straight from the synthesized JSON, not from the model the
tool builds, so a wrong extraction cannot agree with itself.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tools.review.diagram import DiagramError, Stack, load_model, main, mermaid, parse_ref, render


def stack(synth_dir: Path, name: str) -> dict[str, Any]:
    return json.loads((synth_dir / "stacks" / name / "cdk.tf.json").read_text())


def resources(synth_dir: Path, name: str, tf_type: str) -> list[dict[str, Any]]:
    return list(stack(synth_dir, name)["resource"][tf_type].values())


REMOTE = "${data.terraform_remote_state.cross-stack-reference-input-dev-foundation.outputs.%s}"


def test_parse_ref_splits_a_reference_into_its_path() -> None:
    assert parse_ref("${aws_subnet.network_a_1234.id}") == ["aws_subnet", "network_a_1234", "id"]


@pytest.mark.parametrize(
    "value",
    [
        "subnet-0123",  # a literal
        "${aws_subnet.a.id}-x",  # text after the reference
        "service/${aws_ecs_cluster.c.name}/${aws_ecs_service.s.name}",  # a template
        "${var}",  # no resource name
        None,
    ],
)
def test_parse_ref_rejects_what_is_not_one_reference(value: object) -> None:
    with pytest.raises(DiagramError, match="is not a plain resource reference"):
        parse_ref(value)


def test_cross_stack_reference_resolves_to_the_foundation_resource() -> None:
    # GIVEN a services stack whose reference goes through a foundation output
    docs = {"dev-foundation": {"output": {"subnet": {"value": "${aws_subnet.private_a.id}"}}}}
    services = Stack("dev-services", {}, docs)
    # THEN it names the resource behind the output
    assert services.ref(REMOTE % "subnet") == ("aws_subnet", "private_a")


def test_cross_stack_reference_to_a_missing_output_is_an_error() -> None:
    services = Stack("dev-services", {}, {"dev-foundation": {"output": {}}})
    with pytest.raises(DiagramError, match="names no output of stack 'dev-foundation'"):
        services.ref(REMOTE % "gone")


@pytest.fixture(scope="module")
def dev_lines(synth_dir: Path) -> list[str]:
    return [line.strip() for line in mermaid(load_model(synth_dir, "dev"))]


@pytest.fixture(scope="module")
def dev_doc(synth_dir: Path) -> str:
    return render(load_model(synth_dir, "dev"))


def test_vpc_label_carries_the_synthesized_cidr(synth_dir: Path, dev_lines: list[str]) -> None:
    (vpc,) = resources(synth_dir, "dev-foundation", "aws_vpc")
    assert f'subgraph vpc["VPC {vpc["tags"]["Name"]} · {vpc["cidr_block"]}"]' in dev_lines


def test_every_subnet_sits_in_its_az_with_its_cidr(synth_dir: Path, dev_lines: list[str]) -> None:
    placement = {}
    current_az = None
    for line in dev_lines:
        if m := re.match(r'subgraph az\d\["AZ (.+)"\]', line):
            current_az = m[1]
        if m := re.match(r'subgraph sn_\w+\["(Public|Private) subnet (\S+)"\]', line):
            placement[m[2]] = current_az
    subnets = resources(synth_dir, "dev-foundation", "aws_subnet")
    assert placement == {s["cidr_block"]: s["availability_zone"] for s in subnets}


def test_there_are_two_azs(dev_lines: list[str]) -> None:
    assert len([line for line in dev_lines if line.startswith("subgraph az")]) == 2


def test_public_subnets_are_the_ones_routed_to_the_igw(synth_dir: Path, dev_doc: str) -> None:
    public = {
        s["cidr_block"]
        for s in resources(synth_dir, "dev-foundation", "aws_subnet")
        if s["tags"]["Tier"] == "public"
    }
    shown = set(re.findall(r"\| public \| \S+ \| `(\S+)` \|", dev_doc))
    assert shown == public


def test_traffic_path_runs_from_internet_to_backend(dev_lines: list[str]) -> None:
    edges = [line for line in dev_lines if "-->" in line]
    path = [
        "internet -->",
        "igw --> alb_ecs_learn_dev_external_az1",
        "alb_ecs_learn_dev_external_az1 -->",
        "svc_frontend_az1 -->",
        "alb_ecs_learn_dev_internal_az1 -->",
    ]
    positions = [next(i for i, e in enumerate(edges) if e.startswith(p)) for p in path]
    assert positions == sorted(positions)


def test_alb_to_service_edges_use_the_ports_ecs_registers_tasks_at(
    synth_dir: Path, dev_lines: list[str]
) -> None:
    # The target groups' own port is a fixed default; ECS registers each task at its
    # container port (the service's load_balancer block), where the ALB sends requests.
    ports = sorted(
        b["container_port"]
        for s in resources(synth_dir, "dev-services", "aws_ecs_service")
        for b in s["load_balancer"]
    )
    shown = sorted(
        int(m[1])
        for line in dev_lines
        if (m := re.match(r'alb_\w+_az1 -->\|"HTTP :(\d+)"\| svc_', line))
    )
    assert shown == ports


def test_both_albs_are_drawn_in_each_az(synth_dir: Path, dev_doc: str) -> None:
    names = [lb["name"] for lb in resources(synth_dir, "dev-foundation", "aws_lb")]
    for name in names:
        assert dev_doc.count(f"ALB<br/>{name}") == 2


def test_services_are_drawn_in_private_subnets(dev_lines: list[str]) -> None:
    subnet = None
    homes = set()
    for line in dev_lines:
        if m := re.match(r'subgraph sn_\w+\["(Public|Private) subnet', line):
            subnet = m[1]
        if line.startswith("svc_"):
            homes.add(subnet)
    assert homes == {"Private"}


def test_every_vpc_endpoint_is_listed(synth_dir: Path, dev_doc: str) -> None:
    for endpoint in resources(synth_dir, "dev-foundation", "aws_vpc_endpoint"):
        service = endpoint["service_name"].split(".", 3)[-1]
        assert f"| `{service}` | {endpoint['vpc_endpoint_type']} |" in dev_doc


def test_ecr_repository_name_is_shown(synth_dir: Path, dev_lines: list[str]) -> None:
    (repo,) = resources(synth_dir, "dev-foundation", "aws_ecr_repository")
    assert f'aws_ecr[("ECR repository<br/>{repo["name"]}")]' in dev_lines


def test_security_group_chain_is_in_path_order(dev_doc: str) -> None:
    chain = dev_doc.split("## Security-group chain")[1].split("##")[0]
    order = ["internet (", "| External ALB (", "| ECS service frontend (", "| Internal ALB ("]
    assert [chain.index(o) for o in order] == sorted(chain.index(o) for o in order)


def test_every_node_and_edge_label_is_quoted(dev_lines: list[str]) -> None:
    # What follows a node's opening bracket(s), or an edge's opening pipe, must be a quote.
    openers = re.compile(r"\w(?:\[\(|\(\[|\[|\()(.)|->\|(.)")
    found = [m.group(1) or m.group(2) for line in dev_lines for m in openers.finditer(line)]
    assert found and set(found) == {'"'}


def test_prod_diagram_names_prod_resources(synth_dir: Path) -> None:
    assert "ecs-learn-prod-vpc" in render(load_model(synth_dir, "prod"))


def test_output_does_not_depend_on_json_key_order(synth_dir: Path, tmp_path: Path) -> None:
    for path in synth_dir.glob("stacks/dev-*/cdk.tf.json"):
        doc = json.loads(path.read_text())
        for tf_type, found in doc["resource"].items():
            doc["resource"][tf_type] = dict(reversed(list(found.items())))
        target = tmp_path / "stacks" / path.parent.name / "cdk.tf.json"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(doc))
    assert render(load_model(tmp_path, "dev")) == render(load_model(synth_dir, "dev"))


def test_missing_stack_is_an_error(synth_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(synth_dir / "stacks" / "dev-foundation", tmp_path / "stacks" / "dev-foundation")
    with pytest.raises(DiagramError, match="no synthesized stack dev-services"):
        load_model(tmp_path, "dev")


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DiagramError, match=r"no stacks/\*/cdk\.tf\.json; synthesize first"):
        load_model(tmp_path, "dev")


def test_check_mode_fails_on_a_stale_file(synth_dir: Path, tmp_path: Path) -> None:
    stale = tmp_path / "architecture.md"
    stale.write_text("old\n")
    assert main(["--synth-dir", str(synth_dir), "--output", str(stale), "--check"]) == 1


def test_check_mode_passes_after_writing(synth_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "architecture.md"
    main(["--synth-dir", str(synth_dir), "--output", str(out)])
    assert main(["--synth-dir", str(synth_dir), "--output", str(out), "--check"]) == 0


def test_https_listener_shows_in_the_internet_edge(synthed_tag_https: Any) -> None:
    lines = [line.strip() for line in mermaid(load_model(synthed_tag_https.outdir, "dev"))]
    assert 'internet -->|"HTTPS :443"| igw' in lines


def test_japanese_doc_draws_the_same_diagram(synth_dir: Path) -> None:
    model = load_model(synth_dir, "dev")
    english, japanese = render(model, "en"), render(model, "ja")
    diagram = re.compile(r"```mermaid\n.*?```", re.S)
    assert diagram.findall(japanese) == diagram.findall(english)


def table_data_rows(text: str) -> list[str]:
    """Table rows other than headers (a header is the row above a ``|---`` line)."""
    lines = text.splitlines()
    return [
        line
        for line, below in zip(lines, [*lines[1:], ""], strict=True)
        if line.startswith("| ") and not below.startswith("|---")
    ]


def test_japanese_doc_has_the_same_table_rows(synth_dir: Path) -> None:
    # GIVEN both languages of the dev diagram
    model = load_model(synth_dir, "dev")
    # THEN only the headings and header rows differ, never the data
    english = table_data_rows(render(model, "en"))
    assert english
    assert table_data_rows(render(model, "ja")) == english


def test_each_language_links_to_the_other(synth_dir: Path) -> None:
    model = load_model(synth_dir, "dev")
    assert "](architecture.ja.md)" in render(model, "en")
    assert "](architecture.md)" in render(model, "ja")


def test_default_run_writes_both_languages(
    synth_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the default outputs moved into a temp dir
    docs = {"en": tmp_path / "architecture.md", "ja": tmp_path / "architecture.ja.md"}
    monkeypatch.setattr("tools.review.diagram.DOCS", docs)
    # WHEN the tool runs without --output
    assert main(["--synth-dir", str(synth_dir)]) == 0
    # THEN both files are written and --check accepts them
    assert docs["ja"].read_text().startswith("<!-- `make diagram`")
    assert main(["--synth-dir", str(synth_dir), "--check"]) == 0


def test_check_fails_when_only_the_japanese_doc_is_stale(
    synth_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = {"en": tmp_path / "architecture.md", "ja": tmp_path / "architecture.ja.md"}
    monkeypatch.setattr("tools.review.diagram.DOCS", docs)
    main(["--synth-dir", str(synth_dir)])
    docs["ja"].write_text("old\n")
    assert main(["--synth-dir", str(synth_dir), "--check"]) == 1
