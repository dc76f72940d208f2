"""Build the offline bundle: every wheel madoguchi needs at run time, checked, in one tarball.

Run by `make bundle` on a connected machine. The runtime lock (requirements.lock) is the list:
each wheel is downloaded with its locked hash, for every Python version asked for, and the
bundle's own requirements.txt pins every file it carries by its SHA-256, so `install.sh` can
install with `pip --no-index --require-hashes` on a machine with no network.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tomllib
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parent.parent
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
# Copied into the bundle beside the wheels (then by install.sh into PREFIX/share/madoguchi).
SHIPPED_DIRS = ("examples", "deploy/systemd")


def sha256_of(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def pinned_requirements(wheels: Iterable[tuple[str, str]]) -> str:
    """requirements.txt text from (wheel file name, sha256) pairs: one pin per project and
    version, with the hash of every file of it (one per Python version, or one for all)."""
    hashes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for filename, digest in wheels:
        name, version, _, _ = parse_wheel_filename(filename)
        hashes[(str(canonicalize_name(name)), str(version))].append(digest)
    lines = []
    for (name, version), digests in sorted(hashes.items()):
        pins = " ".join(f"--hash=sha256:{d}" for d in sorted(set(digests)))
        lines.append(f"{name}=={version} {pins}")
    return "\n".join(lines) + "\n"


def sums_text(directory: Path, files: Iterable[Path]) -> str:
    """The `sha256sum -c` format, paths relative to `directory`."""
    return "".join(
        f"{sha256_of(f)}  {f.relative_to(directory).as_posix()}\n" for f in sorted(files)
    )


def download_wheels(lock: Path, wheels: Path, pythons: Iterable[str]) -> None:
    for python in pythons:
        platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--require-hashes", "--only-binary=:all:", "--implementation", "cp",
             "--python-version", python, *platforms, "-r", str(lock), "-d", str(wheels)],
            check=True,
        )  # fmt: skip


def build_project_wheel(wheels: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
    )


def build(out: Path, pythons: list[str]) -> Path:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    name = f"madoguchi-{version}-offline-linux-x86_64"
    stage = out / name
    shutil.rmtree(stage, ignore_errors=True)
    wheels = stage / "wheels"
    wheels.mkdir(parents=True)
    download_wheels(ROOT / "requirements.lock", wheels, pythons)
    build_project_wheel(wheels)
    found = sorted(wheels.glob("*.whl"))
    (stage / "requirements.txt").write_text(
        pinned_requirements((w.name, sha256_of(w)) for w in found)
    )
    for shipped in SHIPPED_DIRS:
        shutil.copytree(ROOT / shipped, stage / "share" / Path(shipped).name)
    shutil.copy2(ROOT / "deploy" / "install.sh", stage / "install.sh")
    inner = [p for p in stage.rglob("*") if p.is_file()]
    (stage / "SHA256SUMS").write_text(sums_text(stage, inner))
    tarball = out / f"{name}.tar.gz"
    with tarfile.open(tarball, "w:gz", compresslevel=6) as tar:
        tar.add(stage, arcname=name)
    shutil.rmtree(stage)
    (out / "SHA256SUMS").write_text(sums_text(out, [tarball]))
    return tarball


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument(
        "--python",
        dest="pythons",
        action="append",
        help="a Python version the target may run (repeat); default: this one",
    )
    args = parser.parse_args()
    pythons = args.pythons or [f"{sys.version_info.major}.{sys.version_info.minor}"]
    args.out.mkdir(parents=True, exist_ok=True)
    print(build(args.out, pythons))


if __name__ == "__main__":
    main()
