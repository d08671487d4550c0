"""Shared fixtures. Every test runs with sockets blocked: crowdveil never uses the network."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # lets tests import tests.plant


class NetworkAttempt(AssertionError):
    pass


@pytest.fixture(autouse=True, scope="session")
def own_config_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The resume record's secret key goes to a test folder, not the user's configuration.

    Set in the environment, so the CLI's worker and subprocesses use the same key.
    """
    import os

    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config"))


@pytest.fixture(autouse=True, scope="session")
def english_by_default() -> None:
    """Tests that read English words pass on a French desktop too: the locale is C unless a
    test sets another (crowdveil speaks the locale's language)."""
    import os

    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        os.environ.pop(name, None)
    os.environ["LANG"] = "C.UTF-8"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if anything in the process tries to open a socket."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise NetworkAttempt(f"network access attempted: {args}")

    class RefusedSocket(socket.socket):  # stays a class: `import ssl` subclasses it
        def __init__(self, *args: object, **kwargs: object) -> None:
            refuse(*args)

    monkeypatch.setattr(socket, "socket", RefusedSocket)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(scope="session")
def detector():
    """One real default detector for the whole session (model load is the slow part)."""
    from crowdveil.detect import build_detector

    return build_detector()
