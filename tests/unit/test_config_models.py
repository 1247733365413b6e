"""The config models: frozen, strict, no unknown fields, validated on construction."""

import json

import pytest

from config import (
    ConfigError,
    EnvironmentConfig,
    ServiceConfig,
    StateConfig,
    load_environment,
    settings_from_env,
)
from config.schema_export import SCHEMA_FILE, render

AWS = {"TARGET": "aws", "TF_STATE_BUCKET": "my-state", "APP_VERSION": "1.2.3"}


def dev() -> EnvironmentConfig:
    return load_environment("dev", settings_from_env(AWS))


def test_string_port_is_not_coerced():
    # GIVEN a port written as a string WHEN it is set THEN strict validation refuses it
    with pytest.raises(ConfigError, match=r"^invalid config: dev.frontend.port='3000': "):
        dev().with_(frontend={"port": "3000"})


def test_list_is_not_taken_for_a_tuple():
    with pytest.raises(ConfigError, match=r"dev.azs=\['ap-northeast-1a', 'ap-northeast-1c'\]"):
        dev().with_(azs=["ap-northeast-1a", "ap-northeast-1c"])


def test_unknown_field_is_rejected():
    with pytest.raises(ConfigError, match=r"dev.frontend.prot=3001: unknown field"):
        dev().with_(frontend={"prot": 3001})


def test_missing_field_is_reported_as_required():
    with pytest.raises(ConfigError, match=r"^invalid config: dev.region=None: required$"):
        EnvironmentConfig(
            name="dev", azs=("a", "b"), app_version="1.0.0", state=StateConfig(backend="local")
        )


def test_models_are_frozen():
    env = dev()
    with pytest.raises(ValueError, match="frozen"):
        env.name = "prod"  # type: ignore[misc]


def test_with_returns_a_validated_copy_and_leaves_the_original():
    env = dev()
    bigger = env.with_(backend={"max_capacity": 6})
    assert (bigger.backend.max_capacity, env.backend.max_capacity) == (6, 4)
    assert bigger.backend.port == env.backend.port == 8080


def test_with_validates_cross_field_rules():
    # model_copy(update=...) would not; with_ does.
    with pytest.raises(ConfigError, match=r"dev.backend.port=3000: clashes with"):
        dev().with_(backend={"port": 3000})


def test_a_section_built_alone_names_its_class():
    with pytest.raises(ConfigError, match=r"^invalid config: ServiceConfig.port=80: must be"):
        ServiceConfig(name="web", port=80)


def test_one_bad_input_gives_one_error_naming_field_and_value():
    with pytest.raises(ConfigError) as caught:
        dev().with_(network={"vpc_cidr": "10.0.0.0/33"})
    assert (caught.value.field, caught.value.value) == ("dev.network.vpc_cidr", "10.0.0.0/33")
    assert "\n" not in str(caught.value)


def test_settings_are_frozen_models():
    settings = settings_from_env(AWS)
    assert (settings.target, settings.envs) == ("aws", ("dev", "prod"))
    with pytest.raises(ValueError, match="frozen"):
        settings.target = "local"  # type: ignore[misc]


def test_committed_json_schema_is_fresh():
    assert SCHEMA_FILE.read_text() == render(), "run: python -m config.schema_export"


def test_every_schema_field_has_a_description():
    schema = json.loads(render())
    models = {"EnvironmentConfig": schema, **schema["$defs"]}
    undocumented = [
        f"{model}.{field}"
        for model, body in models.items()
        for field, spec in body["properties"].items()
        if not spec.get("description")
    ]
    assert undocumented == []
