"""Test helpers for the installed `infomaniak_block_storage` wheel: the mock cloud as a
separate process, configs for it, a session factory that keeps the component's log, and
the no-secret assertion. embed/run.sh runs this suite from a copy in an empty venv, so the
repository is found through REPO_ROOT and the mock through MOCK_CLOUD_BIN."""

from __future__ import annotations

import atexit
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infomaniak_block_storage import ApplicationCredential, BlockStorageError, Config, Session, connect

ROOT = Path(os.environ["REPO_ROOT"]) if "REPO_ROOT" in os.environ else Path(__file__).resolve().parents[3]
TARGET = Path(os.environ.get("EMBED_TARGET_DIR", ROOT / "target" / "embed"))
MOCK_BIN = Path(os.environ.get("MOCK_CLOUD_BIN", TARGET / "release" / "mock-cloud"))


class Client:
    """Opens sessions whose failure log (the component's stderr) it keeps."""

    def __init__(self) -> None:
        self.stderr: list[str] = []

    def connect(self, cfg: Config) -> Session:
        return connect(cfg, stderr=self.stderr.append)

    def log(self) -> str:
        return "".join(self.stderr)


def mock_config(info: dict, **extra: Any) -> Config:
    cred = ApplicationCredential(info["app_cred_id"], info["app_cred_secret"])
    fields: dict[str, Any] = {"auth_url": info["auth_url"], "credentials": cred, **extra}
    return Config(**fields)


class Mock:
    """The `mock-cloud` binary in its own process, with the JSON line it printed."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [str(MOCK_BIN), *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            self.proc.wait(5)
            raise RuntimeError(f"mock-cloud exited with {self.proc.returncode}: {self.proc.stderr.read().strip()}")
        self.info: dict = json.loads(line)
        atexit.register(self.stop)  # also when a test fails before stopping it

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        for f in (self.proc.stdout, self.proc.stderr):
            if f:
                f.close()


def assert_no_secret(text: str, secret: str, where: str) -> None:
    """Fails without showing the secret (pytest would print the compared values)."""
    assert secret
    leaked = secret in text
    assert not leaked, f"a secret appears in {where}"


def error(f: Any, *args: Any, **kwargs: Any) -> BlockStorageError:
    """The BlockStorageError that `f(*args, **kwargs)` raises (the test fails if none)."""
    with pytest.raises(BlockStorageError) as e:
        f(*args, **kwargs)
    return e.value
