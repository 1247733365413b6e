"""CONFIG_OVERRIDES: one run's partial config per environment, validated like any other."""

import json
from pathlib import Path

import pytest

from config import ConfigError, load_environment, settings_from_env

AWS = {"TARGET": "aws", "TF_STATE_BUCKET": "my-state", "APP_VERSION": "1.2.3"}
SECRET = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:api-token-AbCdEf"


def overrides(tmp_path: Path, document: object) -> str:
    path = tmp_path / "overrides.json"
    path.write_text(json.dumps(document))
    return str(path)


def load(name: str, path: str):
    return load_environment(name, settings_from_env({**AWS, "CONFIG_OVERRIDES": path}))


def test_release_two_changes_apply_to_the_named_environment_only(tmp_path: Path) -> None:
    # GIVEN the rehearsal's release-2 changes for dev
    path = overrides(
        tmp_path,
        {
            "dev": {
                "frontend": {"port": 3001},
                "backend": {"cpu": 512, "memory": 1024, "secrets": {"API_TOKEN": SECRET}},
            }
        },
    )
    # WHEN both environments load
    dev, prod = load("dev", path), load("prod", path)
    # THEN dev has them, with every other field as configured, and prod is untouched
    assert (dev.frontend.port, dev.backend.cpu, dev.backend.memory) == (3001, 512, 1024)
    assert dev.backend.secrets == {"API_TOKEN": SECRET}
    assert dev.backend.port == 8080 and dev.log_retention_days == 14
    assert prod == load_environment("prod", settings_from_env(AWS))


def test_arrays_become_the_configs_tuples(tmp_path: Path) -> None:
    path = overrides(tmp_path, {"dev": {"azs": ["ap-northeast-1a", "ap-northeast-1d"]}})
    assert load("dev", path).azs == ("ap-northeast-1a", "ap-northeast-1d")


def test_deletion_protection_off_still_wins_over_an_override(tmp_path: Path) -> None:
    path = overrides(tmp_path, {"prod": {"load_balancer": {"idle_timeout_seconds": 120}}})
    settings = settings_from_env({**AWS, "CONFIG_OVERRIDES": path, "DELETION_PROTECTION": "off"})
    prod = load_environment("prod", settings)
    assert prod.load_balancer.idle_timeout_seconds == 120
    assert prod.load_balancer.deletion_protection is False


def test_a_bad_value_names_the_field_the_value_and_the_file(tmp_path: Path) -> None:
    path = overrides(tmp_path, {"dev": {"backend": {"cpu": 512, "memory": 512}}})
    with pytest.raises(
        ConfigError, match=rf"dev\.backend\.memory=512: .* \(from CONFIG_OVERRIDES={path}\)"
    ):
        load("dev", path)


def test_a_wrongly_typed_value_is_not_coerced(tmp_path: Path) -> None:
    path = overrides(tmp_path, {"dev": {"frontend": {"port": "3001"}}})
    with pytest.raises(ConfigError, match=r"dev\.frontend\.port='3001'.*CONFIG_OVERRIDES="):
        load("dev", path)


def test_an_unknown_field_is_an_error(tmp_path: Path) -> None:
    path = overrides(tmp_path, {"dev": {"frontend": {"prot": 3001}}})
    with pytest.raises(ConfigError, match=r"dev\.frontend\.prot=3001: unknown field"):
        load("dev", path)


def test_a_rule_across_sections_still_holds(tmp_path: Path) -> None:
    path = overrides(tmp_path, {"dev": {"frontend": {"port": 8080}}})
    with pytest.raises(ConfigError, match=r"dev\.backend\.port=8080: clashes with"):
        load("dev", path)


def test_an_unknown_environment_is_an_error(tmp_path: Path) -> None:
    path = overrides(tmp_path, {"staging": {}})
    with pytest.raises(ConfigError, match=r"CONFIG_OVERRIDES=.*: staging='staging': unknown env"):
        load("dev", path)


@pytest.mark.parametrize("field", ["app_version", "name", "state", "images", "emulator_endpoint"])
def test_fields_with_a_variable_of_their_own_are_refused(tmp_path: Path, field: str) -> None:
    path = overrides(tmp_path, {"dev": {field: "x"}})
    with pytest.raises(ConfigError, match=rf"dev\.{field}='x': not overridable"):
        load("dev", path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.json")
    with pytest.raises(ConfigError, match=r"CONFIG_OVERRIDES='.*nope\.json': cannot read"):
        load("dev", missing)


def test_a_file_that_is_not_json_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{dev: }")
    with pytest.raises(ConfigError, match=r"CONFIG_OVERRIDES='.*broken\.json': not JSON"):
        load("dev", str(path))


def test_a_top_level_array_is_refused(tmp_path: Path) -> None:
    path = overrides(tmp_path, [{"dev": {}}])
    with pytest.raises(ConfigError, match=r"must be a JSON object"):
        load("dev", path)


def test_an_entry_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    path = overrides(tmp_path, {"dev": 3001})
    with pytest.raises(ConfigError, match=r"dev=3001: must be an object"):
        load("dev", path)
