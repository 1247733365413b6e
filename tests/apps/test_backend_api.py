"""Backend JSON API: /api/message contents, AZ discovery and unknown routes."""

from __future__ import annotations

from datetime import datetime


def test_message_names_hostname_az_version_and_time(backend) -> None:
    # GIVEN a backend started with AVAILABILITY_ZONE=test-az-1a and APP_VERSION=1.2.3
    # WHEN the message endpoint is called
    response = backend.get("/api/message")

    # THEN it identifies the answering task
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    data = response.json()
    assert data["message"]
    assert data["hostname"]
    assert data["availability_zone"] == "test-az-1a"
    assert data["version"] == "1.2.3"
    assert datetime.fromisoformat(data["timestamp"].replace("Z", "+00:00")).tzinfo is not None


def test_version_defaults_to_dev(launcher) -> None:
    backend = launcher.start("backend")

    assert backend.get("/api/message").json()["version"] == "dev"


def test_az_comes_from_ecs_task_metadata_fetched_once(launcher, fake_server, fake_route) -> None:
    # GIVEN an ECS-like task metadata endpoint and no AVAILABILITY_ZONE override
    metadata = fake_server({"/v4/abc/task": fake_route(body={"AvailabilityZone": "meta-az-1b"})})
    backend = launcher.start("backend", {"ECS_CONTAINER_METADATA_URI_V4": metadata.url + "/v4/abc"})

    # WHEN the message endpoint is called twice
    zones = [backend.get("/api/message").json()["availability_zone"] for _ in range(2)]

    # THEN the AZ is the task's, and the metadata endpoint was asked only once
    assert zones == ["meta-az-1b", "meta-az-1b"]
    assert metadata.hits("/v4/abc/task") == 1


def test_az_is_null_when_task_metadata_is_unreachable(launcher, closed_port_url) -> None:
    backend = launcher.start("backend", {"ECS_CONTAINER_METADATA_URI_V4": closed_port_url})

    response = backend.get("/api/message")

    assert response.status == 200
    assert response.json()["availability_zone"] is None


def test_az_is_null_outside_ecs(launcher) -> None:
    backend = launcher.start("backend")

    assert backend.get("/api/message").json()["availability_zone"] is None


def test_unknown_path_returns_404_json(backend) -> None:
    response = backend.get("/nope")

    assert response.status == 404
    assert response.json()["error"] == "not_found"
