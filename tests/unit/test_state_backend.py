"""State: S3 backend per stack with lockfile, or a local file for offline work."""

from cdktf_cdktf_provider_aws.provider import AwsProvider


def test_every_stack_keeps_encrypted_locked_state_in_s3(synthed):
    for name in synthed.stacks:
        backend = synthed.json(name)["terraform"]["backend"]["s3"]
        env = name.split("-")[0]
        assert backend == {
            "bucket": "test-state-bucket",
            "key": f"{env}/{name}.tfstate",
            "region": "ap-northeast-1",
            "encrypt": True,
            "use_lockfile": True,
        }


def test_services_read_foundation_outputs_from_its_state(synthed):
    remote = synthed.json("dev-services")["data"]["terraform_remote_state"]
    keys = sorted(r["config"]["key"] for r in remote.values())
    assert keys == ["dev/dev-foundation.tfstate", "dev/dev-images.tfstate"]


def test_emulator_target_uses_path_style_for_state_and_provider(synthed_local):
    # synthed_local uses a local backend; path style is on for the provider
    (provider,) = synthed_local.json("dev-foundation")["provider"][AwsProvider.TF_RESOURCE_TYPE]
    assert provider["s3_use_path_style"] is True


def test_local_backend_for_offline_work(synthed_local):
    backend = synthed_local.json("dev-foundation")["terraform"]["backend"]
    assert list(backend) == ["local"]
    assert backend["local"]["path"].endswith("terraform.dev-foundation.tfstate")


def test_provider_tags_every_resource_with_project_and_environment(synthed):
    (provider,) = synthed.json("prod-services")["provider"][AwsProvider.TF_RESOURCE_TYPE]
    assert provider["region"] == "ap-northeast-1"
    assert provider["default_tags"] == [
        {
            "tags": {
                "Project": "ecs-learn",
                "Environment": "prod",
                "ManagedBy": "cdktf",
                "Stack": "prod-services",
            }
        }
    ]
