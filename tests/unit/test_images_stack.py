"""Images stack: docker provider builds and pushes ``<service>-<version>`` to ECR."""

import json
import shutil
from pathlib import Path

import pytest
from cdktf import App
from cdktf_cdktf_provider_docker.image import Image
from cdktf_cdktf_provider_docker.provider import DockerProvider
from cdktf_cdktf_provider_docker.registry_image import RegistryImage

from constructs.image import sources_sha
from modules.environment import build_environment
from tests.synth import DEFAULT_SETTINGS, ROOT, Synth, environments
from tools.deploy.ecr import registry_credentials

STACK = "dev-images"
APPS = ROOT / "apps"


def images(synthed):
    return {
        i["name"].rsplit(":", 1)[1]: i for i in synthed.resources(STACK, Image.TF_RESOURCE_TYPE)
    }


def test_the_ecr_token_is_in_neither_the_configuration_nor_the_state(synthed):
    # GIVEN the images stack: a data source would keep the token in the state, which the
    # plan role reads; it would let a reader push as the deploy role for 12 hours
    stack = synthed.json(STACK)
    assert "aws_ecr_authorization_token" not in stack.get("data", {})
    # THEN the docker provider names only the registry; DOCKER_REGISTRY_USER/PASS log it in
    (docker,) = stack["provider"][DockerProvider.TF_RESOURCE_TYPE]
    (auth,) = docker["registry_auth"]
    assert set(auth) == {"address"}
    assert auth["address"].startswith('${element(split("/", ')


def test_the_registry_login_is_the_callers_ecr_token_as_environment_variables():
    class Ecr:
        def get_authorization_token(self):
            return {"authorizationData": [{"authorizationToken": "QVdTOnNlY3JldC10b2tlbg=="}]}

    assert registry_credentials(Ecr()) == {
        "DOCKER_REGISTRY_USER": "AWS",
        "DOCKER_REGISTRY_PASS": "secret-token",
    }


def test_images_are_tagged_service_dash_version_in_our_repository(synthed):
    tagged = images(synthed)
    assert set(tagged) == {"frontend-1.2.3", "backend-1.2.3"}
    for image in tagged.values():
        assert image["name"].split(":")[0].endswith("repository_url}")


def test_images_build_from_the_apps_context_with_their_own_dockerfile_for_amd64(synthed):
    stack_dir = synthed.outdir / "stacks" / STACK
    for tag, image in images(synthed).items():
        service = tag.split("-")[0]
        assert image["platform"] == "linux/amd64"
        assert image["build"]["platform"] == "linux/amd64"
        # both paths are relative to Terraform's working directory, the stack's
        context = stack_dir / image["build"]["context"]
        assert (context / ".dockerignore").read_bytes() == (APPS / ".dockerignore").read_bytes()
        assert image["build"]["dockerfile"] == f"{image['build']['context']}/{service}/Dockerfile"
        dockerfile = stack_dir / image["build"]["dockerfile"]
        assert f"EXPOSE {3000 if service == 'frontend' else 8080}" in dockerfile.read_text()


def test_changed_sources_trigger_rebuild_and_push(synthed):
    builds = images(synthed)
    pushes = synthed.resources(STACK, RegistryImage.TF_RESOURCE_TYPE)
    hashes = {i["triggers"]["context_sha"] for i in builds.values()}
    assert len(hashes) == 2 and all(len(h) >= 32 for h in hashes)
    assert {p["triggers"]["context_sha"] for p in pushes} == hashes
    assert all(p["keep_remotely"] is True for p in pushes)


def test_outputs_are_pinned_by_digest(synthed):
    outputs = synthed.json(STACK)["output"]
    for service in ("frontend", "backend"):
        value = outputs[f"{service}_image"]["value"]
        repo, digest = value.split("@")
        assert repo.endswith("repository_url}")
        assert digest.startswith("${docker_registry_image.") and digest.endswith(".sha256_digest}")


def test_images_stack_uses_the_foundation_repository_cross_stack(synthed):
    remote = synthed.json(STACK)["data"]["terraform_remote_state"]
    (foundation,) = remote.values()
    assert foundation["config"]["key"] == "dev/dev-foundation.tfstate"
    assert json.dumps(foundation).count("test-state-bucket") == 1


def changed_apps(root: Path, *edited: str) -> Path:
    """A copy of apps/ in which each of ``edited`` (paths inside it) has one more line."""
    apps = root / "apps"
    shutil.copytree(APPS, apps)
    for path in edited:
        with (apps / path).open("a") as file:
            file.write("# changed\n")
    return apps


@pytest.fixture(scope="module")
def synthed_changed(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """dev built from apps/ with common/runtime.py changed; prod with frontend/page.py and
    apps/README.md changed."""
    dev, prod = environments(DEFAULT_SETTINGS)
    outdir = tmp_path_factory.mktemp("synth-changed")
    app = App(outdir=str(outdir))
    for env, edited in ((dev, ["common/runtime.py"]), (prod, ["frontend/page.py", "README.md"])):
        apps = changed_apps(tmp_path_factory.mktemp(env.name), *edited)
        build_environment(app, env, apps_dir=apps, bootstrap=False)
    app.synth()
    stacks = {p.parent.name: p.read_text() for p in sorted(outdir.glob("stacks/*/cdk.tf.json"))}
    return Synth(outdir=outdir, stacks=stacks)


def context_shas(synth: Synth, stack: str) -> dict[str, str]:
    """Service -> the ``context_sha`` trigger of its build."""
    builds = synth.resources(stack, Image.TF_RESOURCE_TYPE)
    return {b["name"].rsplit(":", 1)[1].split("-")[0]: b["triggers"]["context_sha"] for b in builds}


def test_a_change_in_the_shared_runtime_rebuilds_every_image(synthed, synthed_changed):
    before, after = context_shas(synthed, "dev-images"), context_shas(synthed_changed, "dev-images")

    assert set(before) == set(after) == {"backend", "frontend"}
    assert all(after[service] != before[service] for service in before)


def test_a_change_in_one_app_rebuilds_only_that_image(synthed, synthed_changed):
    before = context_shas(synthed, "prod-images")
    after = context_shas(synthed_changed, "prod-images")

    assert after["frontend"] != before["frontend"]
    assert after["backend"] == before["backend"]


def test_the_other_image_is_planned_unchanged(synthed, synthed_changed):
    # GIVEN frontend/page.py and apps/README.md changed (prod): neither is a backend source
    def backend(synth: Synth) -> dict:
        (build,) = [
            b
            for b in synth.resources("prod-images", Image.TF_RESOURCE_TYPE)
            if b["name"].endswith(":backend-1.2.3")
        ]
        return build

    # THEN the backend's whole docker_image block (build paths included) stays the same
    assert backend(synthed_changed) == backend(synthed)


def test_local_caches_in_the_sources_do_not_change_the_trigger(tmp_path: Path):
    # running an app from the repository may leave __pycache__ behind; no image contains it
    apps = tmp_path / "apps"
    shutil.copytree(APPS, apps)
    before = sources_sha(apps, ("backend", "common"))
    (apps / "common" / "__pycache__").mkdir()
    (apps / "common" / "__pycache__" / "runtime.cpython-311.pyc").write_bytes(b"\0")

    assert sources_sha(apps, ("backend", "common")) == before
