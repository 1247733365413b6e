"""Availability Zone lookup: env override first, else the ECS task metadata endpoint (v4)."""

from __future__ import annotations

import http.client
import json
import logging
import threading
from urllib.parse import urlsplit

from common.runtime import log

METADATA_TIMEOUT_SECONDS = 1.0


def fetch_task_availability_zone(metadata_uri: str, timeout: float) -> str | None:
    """GET $ECS_CONTAINER_METADATA_URI_V4/task and return its AvailabilityZone, or None.

    Plain http.client: the endpoint is link-local HTTP and must never go through a proxy.
    """
    url = metadata_uri.rstrip("/") + "/task"
    connection = None
    try:
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.netloc, timeout=timeout)
        connection.request("GET", parts.path)
        response = connection.getresponse()
        if response.status != 200:
            raise ValueError(f"HTTP status {response.status}")
        document = json.loads(response.read())
    except (OSError, ValueError, http.client.HTTPException) as error:  # bad JSON is ValueError
        log(logging.WARNING, "task metadata unavailable", url=url, error=repr(error))
        return None
    finally:
        if connection is not None:
            connection.close()
    zone = document.get("AvailabilityZone") if isinstance(document, dict) else None
    return zone if isinstance(zone, str) and zone else None


class AvailabilityZone:
    """Resolves the AZ at most once, on first use, and caches the answer (even None)."""

    def __init__(self, override: str | None, metadata_uri: str | None) -> None:
        self._override = override or None
        self._metadata_uri = metadata_uri or None
        self._lock = threading.Lock()
        self._resolved = False
        self._zone: str | None = None

    def get(self) -> str | None:
        if self._override:
            return self._override
        with self._lock:  # concurrent first requests must not all hit the endpoint
            if not self._resolved:
                if self._metadata_uri:
                    self._zone = fetch_task_availability_zone(
                        self._metadata_uri, METADATA_TIMEOUT_SECONDS
                    )
                self._resolved = True
            return self._zone
