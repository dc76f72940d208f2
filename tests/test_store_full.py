"""A full store is an alarm, not a traceback: `madoguchi up` on a store of 3 MB, scans handed in
until it refuses. The scan command says which files were handed in and which not, in one line
of reason; /metrics shows the store used against its limit; /healthz is degraded; a web upload
gets the same one-line reason."""

from __future__ import annotations

import asyncio
import io
import random
import signal
from pathlib import Path

import httpx
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from handlers.ocr.cli import handed_in_lines
from infra.store import (
    STORE_FULL_LINE,
    StoreUsage,
    default_store_limit,
    store_degraded,
    store_usage,
)
from tests.conftest import free_port
from tests.identity.test_sign_in import GOOD
from tests.support import eventually
from tests.test_up import MADOGUCHI, run_cli

STORE_MB = 3
SCANS = 8  # about 0.5 MB each: twice what the store holds


def noise_png(seed: int) -> bytes:
    """A valid image that does not compress: every file costs the store its full size."""
    rng = random.Random(seed)
    image = Image.frombytes("L", (700, 700), rng.randbytes(700 * 700))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(200, 200))
    return buffer.getvalue()


def gauges(text: str) -> dict[str, float]:
    return {
        s.name: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("madoguchi_store_")
    }


async def test_a_full_store_says_so_everywhere(tmp_path: Path) -> None:
    data, config = tmp_path / "data", tmp_path / "madoguchi.toml"
    config.write_text(f"[bus]\nmax_store_mb = {STORE_MB}\n\n[ocr]\nworkers = 1\n")
    http_port = free_port()
    base = ["--data", str(data), "--config", str(config)]
    up = await asyncio.create_subprocess_exec(
        *MADOGUCHI, *base, "up", "--nats-port", str(free_port()),
        "--http-port", str(http_port), "--agent-port", str(free_port()),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}") as http:

            async def health() -> httpx.Response | None:
                try:
                    return await http.get("/healthz")
                except httpx.TransportError:
                    return None

            assert (await eventually(health, timeout=60)).status_code == 200
            before = gauges((await http.get("/metrics")).text)
            assert before["madoguchi_store_limit_bytes"] == STORE_MB * 1024 * 1024
            assert before["madoguchi_store_used_bytes"] < 0.5 * STORE_MB * 1024 * 1024

            for args in (["org", "add", "full", "--name", "満杯課"],
                         ["user", "add", "full-clerk", "--org", "full", "--role", "staff",
                          "--personal-info", "--password-stdin"]):  # fmt: skip
                code, _, err = await run_cli(*base, *args, stdin=f"{GOOD}\n".encode())
                assert code == 0, err
            files = []
            for n in range(SCANS):
                files.append(tmp_path / f"scan-{n}.png")
                files[-1].write_bytes(noise_png(n))
            code, out, err = await run_cli(*base, "scan", *map(str, files), "--org", "full")

            assert code == 1, (out, err)
            assert "Traceback" not in err and "Traceback" not in out
            assert err.strip().splitlines() == [f"Error: {STORE_FULL_LINE}"]
            lines = out.strip().splitlines()
            assert [line.split(":")[0] for line in lines] == [f.name for f in files]
            handed = [line for line in lines if "handed in" in line and "not" not in line]
            refused = [line for line in lines if "not handed in" in line]
            assert handed and refused and len(handed) + len(refused) == SCANS
            assert lines == handed + refused  # in order: the rest is what to hand in again

            after = gauges((await http.get("/metrics")).text)
            assert after["madoguchi_store_used_bytes"] > 0.8 * STORE_MB * 1024 * 1024
            sick = await http.get("/healthz")
            assert sick.status_code == 503
            assert sick.json() == {"status": "degraded", "error": "store_full",
                                   "detail": STORE_FULL_LINE}  # fmt: skip

            session = await http.post(
                "/api/session", json={"login": "full-clerk", "password": GOOD}, timeout=30
            )
            assert session.status_code == 200, session.text
            uploaded = await http.post(
                "/api/documents",
                files={"file": ("s.png", noise_png(99), "image/png")},
                headers={"X-CSRF-Token": session.json()["csrf_token"]},
            )
            assert uploaded.status_code == 507, uploaded.text
            assert uploaded.json() == {"error": "store_full", "detail": STORE_FULL_LINE}
    finally:
        up.send_signal(signal.SIGINT)
        await asyncio.wait_for(up.wait(), timeout=60)


def test_store_usage_reads_the_account_limit_first() -> None:
    info = {"storage": 50, "reserved_storage": 10, "limits": {"max_storage": 200}}
    assert store_usage(info, 100) == StoreUsage(used=50, reserved=10, limit=200)
    unlimited = {"storage": 50, "limits": {"max_storage": -1}}
    assert store_usage(unlimited, 100) == StoreUsage(used=50, reserved=0, limit=100)
    assert store_usage(unlimited, None).share is None


def test_degraded_when_refused_or_nearly_full() -> None:
    assert not store_degraded(None, refused_recently=False)
    assert store_degraded(None, refused_recently=True)
    assert not store_degraded(StoreUsage(used=97, reserved=0, limit=100), False)
    assert store_degraded(StoreUsage(used=98, reserved=0, limit=100), False)


def test_the_default_limit_counts_what_the_store_holds(tmp_path: Path) -> None:
    empty = default_store_limit(tmp_path)
    (tmp_path / "held").write_bytes(b"x" * 4096)
    assert default_store_limit(tmp_path) >= empty  # the file's room moved from free to held


def test_handed_in_lines_say_which_files_went_in_and_which_not() -> None:
    files = (Path("a.png"), Path("b.png"), Path("c.png"))
    assert handed_in_lines(files, ["id-a"], as_json=False) == [
        "a.png: 受付済み / handed in id-a",
        "b.png: 未受付 / not handed in",
        "c.png: 未受付 / not handed in",
    ]
    assert handed_in_lines(files[:1], [], as_json=True) == ['{"file": "a.png", "handed_in": false}']
