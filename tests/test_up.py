"""`madoguchi up` as an operator runs it: embedded server, health, metrics, first admin, Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import sys
from pathlib import Path

import httpx
import nats
import pytest

from tests.conftest import free_port
from tests.support import eventually

MADOGUCHI = [sys.executable, "-m", "handlers"]


async def run_cli(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *MADOGUCHI,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), timeout=60)
    return process.returncode or 0, out.decode(), err.decode()


class Up:
    def __init__(self, data: Path) -> None:
        self.data = data
        self.nats_port = free_port()
        self.http_port = free_port()
        self.process: asyncio.subprocess.Process | None = None
        self.output = ""

    async def start(self) -> str:
        self.process = await asyncio.create_subprocess_exec(
            *MADOGUCHI,
            "--data",
            str(self.data),
            "up",
            "--nats-port",
            str(self.nats_port),
            "--http-port",
            str(self.http_port),
            "--agent-port",
            str(free_port()),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        lines: list[str] = []

        async def until_banner_ends() -> None:
            assert self.process is not None and self.process.stdout is not None
            while not lines or "Ctrl-C" not in lines[-1]:
                raw = await self.process.stdout.readline()
                if not raw:
                    raise AssertionError("madoguchi up exited:\n" + "".join(lines))
                lines.append(raw.decode())

        await asyncio.wait_for(until_banner_ends(), timeout=60)
        self.output = "".join(lines)
        return self.output

    async def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        return await asyncio.wait_for(self.process.wait(), timeout=60)


async def test_up_serves_health_and_metrics_and_stops_cleanly(tmp_path: Path) -> None:
    up = Up(tmp_path / "data")
    banner = await up.start()
    try:
        assert f"http://127.0.0.1:{up.http_port}/staff/" in banner
        zones = [line for line in banner.splitlines() if "[zones]" in line]
        assert len(zones) == 1 and "loopback" in zones[0] and "SJ" in zones[0], banner
        password = re.search(r"password[^:]*\): (\S+)", banner)
        assert password is not None, banner
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{up.http_port}") as http:
            health = await http.get("/healthz")
            assert health.status_code == 200 and health.json() == {"status": "ok"}
            metrics = await http.get("/metrics")
            assert metrics.status_code == 200
            assert 'madoguchi_stream_messages{stream="DOCUMENTS"}' in metrics.text
            assert "madoguchi_messages_total" in metrics.text

        code, out, _ = await run_cli("--data", str(up.data), "creds", "auditor")
        creds = json.loads(out)
        assert code == 0 and creds["url"] == f"nats://127.0.0.1:{up.nats_port}"
        client = await nats.connect(creds["url"], user=creds["user"], password=creds["password"])
        assert client.is_connected
        await client.close()
    finally:
        assert await up.stop() == 0

    # The embedded server stopped with it: nothing listens on the bus port any more.
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", up.nats_port)
    for path in [up.data / "nats" / "credentials.json", up.data / "accounts.sqlite3"]:
        assert path.stat().st_mode & 0o077 == 0, path

    # Second start: same data, no new admin password, streams kept.
    again = Up(up.data)
    banner = await again.start()
    try:
        assert "password" not in banner
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{again.http_port}") as http:
            assert (await http.get("/healthz")).status_code == 200
    finally:
        assert await again.stop() == 0


async def test_healthz_is_503_when_the_bus_is_gone(tmp_path: Path) -> None:
    from infra.nats_server import EmbeddedNatsServer

    data = tmp_path / "data"
    server = EmbeddedNatsServer(data, free_port())
    await server.start()
    http_port = free_port()
    process = await asyncio.create_subprocess_exec(
        *MADOGUCHI,
        "--data",
        str(data),
        "up",
        "--nats-url",
        server.url,
        "--http-port",
        str(http_port),
        "--agent-port",
        str(free_port()),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}") as http:

            async def status() -> int | None:
                try:
                    return (await http.get("/healthz")).status_code
                except httpx.TransportError:
                    return None

            assert await eventually(status, timeout=30) == 200
            await server.stop()
            assert await eventually(lambda: _is(status, 503), timeout=30)
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), timeout=60)


async def _is(probe, wanted: int) -> bool:  # type: ignore[no-untyped-def]
    return await probe() == wanted


README = str(Path(__file__).parent.parent / "README.md")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["creds", "scanner"], "--org"),
        (["creds", "auditor", "--org", "org-a"], "drop --org"),
        (["creds", "scanner", "--org", "Bad.Org"], "not an org id"),
        (["creds", "wizard"], "wizard"),
        (["scan", README], "--org"),  # the host's own access needs the org
        (["scan", README, "--creds", README], "not a credentials file"),
        (["watch", str(Path(README).parent), "--nats-url", "nats://x:1"], "goes with --creds"),
        (
            ["worker", "--nats-url", "nats://127.0.0.1:1", "--only", "astrology"],
            "no such capability",
        ),
        (["up", "--nats-url", "nats://ops:hunter22@127.0.0.1:4222"], "a user or password"),
        (["up", "--nats-url", "ops:hunter22@127.0.0.1:4222"], "a user or password"),
        (["worker", "--nats-url", "nats://127.0.0.1:4222,http://x:80"], "is not a bus address"),
        (["worker", "--nats-url", "nats://127.0.0.1:port"], "a URL is not valid"),
    ],
)
async def test_bad_command_lines_exit_non_zero_with_a_reason(
    tmp_path: Path, args: list[str], message: str
) -> None:
    code, _, err = await run_cli("--data", str(tmp_path), *args)
    assert code != 0
    assert message in err
    assert "hunter22" not in err and "Traceback" not in err


async def test_asyncapi_document_is_current(tmp_path: Path) -> None:
    committed = Path(__file__).parent.parent / "docs" / "asyncapi.json"
    code, _, err = await run_cli("asyncapi", "--out", str(tmp_path / "asyncapi.json"))
    assert code == 0, err
    fresh = (tmp_path / "asyncapi.json").read_text(encoding="utf-8")
    assert committed.read_text(encoding="utf-8") == fresh, "run `make asyncapi` and commit it"
    channels = json.loads(fresh)["channels"]
    for subject in ["document.scanned", "ocr.completed", "payment.refunded", "deadletter"]:
        assert any(subject in name for name in channels), subject


@pytest.mark.parametrize("option", ["--http-port", "--nats-port"])
async def test_up_refuses_a_port_another_program_holds_with_one_line(
    tmp_path: Path, option: str
) -> None:
    # Before, a held --http-port left `up` running without a web app, and a held --nats-port
    # had it talk to the other program: neither exited.
    held = socket.create_server(("127.0.0.1", 0))
    port = held.getsockname()[1]
    ports = {  # every port free but the held one (never the default agent port, 8001)
        "--http-port": str(free_port()),
        "--nats-port": str(free_port()),
        "--agent-port": str(free_port()),
        option: str(port),
    }
    try:
        code, _, err = await run_cli(
            "--data", str(tmp_path / "d"), "up", *(x for pair in ports.items() for x in pair)
        )
    finally:
        held.close()
    assert code == 1
    assert err.splitlines() == [f"Error: {option} {port}: Address already in use"]
    assert not (tmp_path / "d" / "nats").exists()  # nothing was started


@pytest.mark.parametrize(
    ("command", "example", "change", "line"),
    [
        ("template", "juminhyo-v1.json", {"surprise": 1}, "surprise: unknown key"),
        (
            "procedure",
            "koseki-tohon.json",
            {"attachment_kinds": ["nope"]},
            "(top level): unknown attachment kind 'nope'",
        ),
    ],
)
async def test_a_bad_definition_file_is_refused_in_one_line_naming_where(
    tmp_path: Path, command: str, example: str, change: dict[str, object], line: str
) -> None:
    examples = Path(__file__).parent.parent / "examples"
    definition = json.loads((examples / example).read_text(encoding="utf-8")) | change
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    code, _, err = await run_cli(
        "--data", str(tmp_path / "d"), command, "add", str(path), "--org", "x"
    )
    assert code == 1
    assert err.splitlines() == [f"Error: bad.json: {line}"]


async def test_start_up_says_it_waits_for_an_unreachable_bus_and_ctrl_c_ends_it(
    tmp_path: Path,
) -> None:
    nowhere = free_port()  # nothing listens there: the bus is down
    process = await asyncio.create_subprocess_exec(
        *MADOGUCHI,
        "--data",
        str(tmp_path),
        "up",
        "--nats-url",
        f"nats://127.0.0.1:{nowhere}",
        "--http-port",
        str(free_port()),
        "--agent-port",
        str(free_port()),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    seen: list[str] = []

    async def until(wanted: str) -> None:
        while not any(wanted in line for line in seen):
            raw = await process.stderr.readline()  # type: ignore[union-attr]
            assert raw, f"ended before saying {wanted!r}: {seen}"
            seen.append(raw.decode())

    try:
        await asyncio.wait_for(until("cannot be reached yet"), timeout=60)
        assert f"nats://127.0.0.1:{nowhere}" in seen[-1] and "Ctrl-C" in seen[-1]
        process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), timeout=30)
        seen += (await process.stderr.read()).decode().splitlines()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert code == 0, seen
    assert any("stopped before start-up finished" in line for line in seen), seen
