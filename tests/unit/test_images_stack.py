"""Images stack: docker provider builds and pushes ``<service>-<version>`` to ECR."""

import json

from cdktf import Testing
from cdktf_cdktf_provider_aws.data_aws_ecr_authorization_token import (
    DataAwsEcrAuthorizationToken,
)
from cdktf_cdktf_provider_docker.image import Image
from cdktf_cdktf_provider_docker.provider import DockerProvider
from cdktf_cdktf_provider_docker.registry_image import RegistryImage

STACK = "dev-images"


def images(synthed):
    return {
        i["name"].rsplit(":", 1)[1]: i for i in synthed.resources(STACK, Image.TF_RESOURCE_TYPE)
    }


def test_registry_auth_comes_from_the_ecr_token(synthed):
    assert Testing.to_have_data_source(
        synthed.stacks[STACK], DataAwsEcrAuthorizationToken.TF_RESOURCE_TYPE
    )
    (docker,) = synthed.json(STACK)["provider"][DockerProvider.TF_RESOURCE_TYPE]
    (auth,) = docker["registry_auth"]
    assert auth["address"].endswith(".proxy_endpoint}")
    assert auth["username"].endswith(".user_name}")
    assert auth["password"].endswith(".password}")


def test_images_are_tagged_service_dash_version_in_our_repository(synthed):
    tagged = images(synthed)
    assert set(tagged) == {"frontend-1.2.3", "backend-1.2.3"}
    for image in tagged.values():
        assert image["name"].split(":")[0].endswith("repository_url}")


def test_images_build_from_their_app_directory_for_amd64(synthed):
    for tag, image in images(synthed).items():
        service = tag.split("-")[0]
        assert image["platform"] == "linux/amd64"
        assert image["build"]["platform"] == "linux/amd64"
        context = synthed.outdir / "stacks" / STACK / image["build"]["context"]
        assert (context / "Dockerfile").is_file()
        assert (
            f"EXPOSE {3000 if service == 'frontend' else 8080}"
            in (context / "Dockerfile").read_text()
        )


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
