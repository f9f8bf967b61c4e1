import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import Client, Mock  # noqa: E402


@pytest.fixture(scope="module")
def mock():
    m = Mock("--server", "web-1")
    yield m
    m.stop()


@pytest.fixture(scope="module")
def bs():
    return Client()
