"""Backend JSON API: /healthz for the load balancer and /api/message naming the serving task.

Configuration comes only from environment variables (see apps/README.md).
Run from the repository root: PYTHONPATH=apps PORT=8080 python apps/backend/app.py
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus

from common.runtime import (
    ConfigError,
    JsonRequestHandler,
    configure_logging,
    exit_with_config_error,
    read_port,
    serve,
    utc_timestamp,
)
from metadata import AvailabilityZone

DEFAULT_PORT = 8080
MESSAGE = "Hello from the backend!"


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    version: str
    availability_zone: str | None
    metadata_uri: str | None


def load_settings(env: Mapping[str, str]) -> Settings:
    """Read and validate the environment; raises ConfigError naming the bad variable."""
    return Settings(
        host=env.get("HOST") or "0.0.0.0",
        port=read_port(env, DEFAULT_PORT),
        version=env.get("APP_VERSION") or "dev",
        availability_zone=env.get("AVAILABILITY_ZONE") or None,
        metadata_uri=env.get("ECS_CONTAINER_METADATA_URI_V4") or None,
    )


def build_handler(settings: Settings) -> type[JsonRequestHandler]:
    """Bind settings and the (lazily resolved) AZ into a request handler class."""
    zone = AvailabilityZone(settings.availability_zone, settings.metadata_uri)
    hostname = socket.gethostname()

    class BackendHandler(JsonRequestHandler):
        def handle_get(self, path: str) -> None:
            if path == "/healthz":
                self.send_json(HTTPStatus.OK, {"status": "ok"})
            elif path == "/api/message":
                self.send_json(
                    HTTPStatus.OK,
                    {
                        "message": MESSAGE,
                        "hostname": hostname,
                        "availability_zone": zone.get(),
                        "version": settings.version,
                        "timestamp": utc_timestamp(),
                    },
                )
            else:
                self.send_json(
                    HTTPStatus.NOT_FOUND,
                    {"error": "not_found", "message": f"No route for {path}"},
                )

    return BackendHandler


def main() -> None:
    configure_logging("backend")
    try:
        settings = load_settings(os.environ)
    except ConfigError as error:
        exit_with_config_error(error)
    serve(build_handler(settings), settings.host, settings.port)


if __name__ == "__main__":
    main()
