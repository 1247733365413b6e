"""Fixtures: a patched emulator (our launcher) and an unpatched moto server, both fast."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tools.emulator.emulator import Emulator
from tools.emulator.inventory import client

REGION = "ap-northeast-1"


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """``python -m tools.emulator.emulator`` (moto + shim) in a subprocess."""
    started = Emulator.start(tmp_path_factory.mktemp("emulator"))
    yield started
    started.stop()


@pytest.fixture(scope="session")
def plain_moto() -> Iterator[str]:
    """moto's own ThreadedMotoServer, without the shim, in this process."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


Clients = Callable[[str], Any]


@pytest.fixture
def aws(emulator: Emulator) -> Clients:
    """``aws("ecs")``: a boto3 client for the patched emulator."""
    return lambda service: client(service, emulator.endpoint, REGION)


@pytest.fixture
def unpatched(plain_moto: str) -> Clients:
    """``unpatched("ecs")``: a boto3 client for plain moto."""
    return lambda service: client(service, plain_moto, REGION)
