"""The README's Python snippet is example.py, verbatim, and it works against the mock."""

import os
import subprocess
import sys
from pathlib import Path

from infomaniak_block_storage import ListOptions, VolumeCreate

from harness import ROOT, Client, assert_no_secret, mock_config

EXAMPLE = Path(__file__).resolve().parents[1] / "example.py"


def readme_blocks(heading: str, readme: Path = ROOT / "README.md") -> list[tuple[str, str]]:
    """(lang, code) of the fenced blocks between `heading` and the next heading."""
    lines = readme.read_text().split("\n")
    blocks, lang, code = [], None, []
    for line in lines[lines.index(heading) + 1 :]:
        if lang is not None:
            if line == "```":
                blocks.append((lang, "\n".join(code) + "\n"))
                lang, code = None, []
            else:
                code.append(line)
        elif line.startswith("```"):
            lang = line[3:].strip()
        elif line.startswith(("# ", "## ", "### ")):
            break
    return blocks


def run_example(info: dict, secret: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "OS_AUTH_URL": info["auth_url"],
        "OS_APPLICATION_CREDENTIAL_ID": info["app_cred_id"],
        "OS_APPLICATION_CREDENTIAL_SECRET": secret,
    }
    return subprocess.run(
        [sys.executable, str(EXAMPLE), *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_readme_shows_example_verbatim():
    py = [code for lang, code in readme_blocks("### Other hosts") if lang == "python"]
    assert len(py) == 1, 'expected one ```python block under "### Other hosts"'
    same = py[0] == EXAMPLE.read_text()
    assert same, "the README's ```python block differs from embed/python/example.py: paste the file into README.md"


def test_example_shows_quota_and_five_newest_then_renames_and_tags_a_volume(mock):
    bs = Client()
    s = bs.connect(mock_config(mock.info))
    # Six volumes of 1 GiB, the oldest with metadata of its own; the example lists five.
    ids = []
    for n in range(1, 7):
        metadata = [("team", "storage")] if n == 1 else []
        ids.append(s.volumes.create(VolumeCreate(size=1, name=f"readme-python-{n}", metadata=metadata)).id)
    s.volumes.wait_for(ids[5], "available", 60)  # the newest: the others are available before it
    shown = "volumes 6/10, GiB 6/1000\n" + "".join(f"{ids[i]} available 1 GiB readme-python-{i + 1}\n" for i in range(5, 0, -1))

    out = run_example(mock.info, mock.info["app_cred_secret"])
    assert out.returncode == 0, out.stderr
    assert out.stdout == shown
    assert out.stderr == ""

    # Given a volume: renamed, and its metadata comes back whole, sorted by key.
    renamed = run_example(mock.info, mock.info["app_cred_secret"], ids[0], "readme-python-renamed")
    assert renamed.returncode == 0, renamed.stderr
    assert renamed.stdout == f"{shown}{ids[0]} is now readme-python-renamed: renamed-by=example.py team=storage\n"
    assert renamed.stderr == ""
    v = s.volumes.get(ids[0])
    assert v.name == "readme-python-renamed"
    assert v.metadata == [("renamed-by", "example.py"), ("team", "storage")]

    for id_ in ids:
        s.volumes.delete(id_)
    s.volumes.wait_for(ids[5], "deleted", 60)  # the last one: the others are gone before it
    assert s.volumes.list(ListOptions()) == []
    s.close()


def test_example_reports_wrong_secret_without_echoing_it(mock):
    wrong = "wrong-secret-for-the-readme-python-5d0c"
    out = run_example(mock.info, wrong)
    assert out.returncode == 1
    assert out.stdout == ""
    assert "\nUnauthorizedError: unauthorized 401: The request you have made requires authentication. (request req-" in out.stderr
    assert "session.connect failed: unauthorized status=401" in out.stderr  # the component's log line
    assert_no_secret(out.stderr, wrong, "the example's output")
