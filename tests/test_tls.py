"""The sign-in and scan path with TLS on: private CA, HTTPS, a TLS bus, client certificates
that are required and name the terminal's zone."""

from __future__ import annotations

import asyncio
import json
import signal
import ssl
import sys
from pathlib import Path

import httpx
import nats
import nats.errors
import pytest

from infra.payment_agent import HttpPaymentAgent, PaymentAgentError
from tests.conftest import free_port
from tests.ocr.corpus import text_page

MADOGUCHI = [sys.executable, "-m", "handlers"]
PASSWORD = "Sakura-Kaidan-7731"


async def run(
    data: Path, *args: str, stdin: str = "", config: Path | None = None
) -> tuple[int, str, str]:
    extra = ["--config", str(config)] if config else []
    process = await asyncio.create_subprocess_exec(
        *MADOGUCHI,
        "--data",
        str(data),
        *extra,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=300)
    return process.returncode or 0, out.decode(), err.decode()


def context(ca: Path, cert: Path | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca))
    if cert is not None:
        ctx.load_cert_chain(str(cert), str(cert.with_suffix(".key")))
    return ctx


async def test_sign_in_and_scan_over_tls(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert (await run(data, "tls", "init"))[0] == 0
    code, out, err = await run(data, "tls", "client", "clerk-pc", "--zone", "SJ")
    assert code == 0, err
    clerk_cert = Path(out.splitlines()[0])
    config = tmp_path / "settings.toml"
    config.write_text('[tls]\nenabled = true\nclient_certs = "required"\n', encoding="utf-8")
    assert (await run(data, "org", "add", "shimin", "--name", "市民課"))[0] == 0
    code, _, err = await run(
        data,
        "user",
        "add",
        "clerk",
        "--org",
        "shimin",
        "--role",
        "staff",
        "--personal-info",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 0, err

    nats_port, http_port, agent_port = free_port(), free_port(), free_port()
    up = await asyncio.create_subprocess_exec(
        *MADOGUCHI,
        "--data",
        str(data),
        "--config",
        str(config),
        "up",
        "--nats-port",
        str(nats_port),
        "--http-port",
        str(http_port),
        "--agent-port",
        str(agent_port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert up.stdout is not None
        banner = ""
        while "Ctrl-C" not in banner:
            line = await asyncio.wait_for(up.stdout.readline(), timeout=60)
            assert line, banner
            banner += line.decode()
        assert f"https://127.0.0.1:{http_port}/staff/" in banner
        assert f"tls://127.0.0.1:{nats_port}" in banner
        ca = data / "tls" / "ca.crt"
        base = f"https://127.0.0.1:{http_port}"

        # The sandbox payment agent speaks HTTPS too, and the agent client checks its certificate.
        api_key = (data / "payment_agent" / "api_key").read_text().strip()
        agent = HttpPaymentAgent(f"https://127.0.0.1:{agent_port}", api_key, ca_file=ca)
        created = await agent.create_payment(
            reference="pay_tls_check",
            amount=300,
            method="card",
            return_url=f"{base}/",
            idempotency_key="tls-check",
        )
        assert created.redirect_url and created.redirect_url.startswith("https://")
        await agent.aclose()
        untrusting = HttpPaymentAgent(f"https://127.0.0.1:{agent_port}", api_key)
        with pytest.raises(PaymentAgentError) as refused:
            await untrusting.get_payment(created.id)
        assert refused.value.code == "tls"
        await untrusting.aclose()

        # No client certificate, or no TLS at all: no connection.
        async with httpx.AsyncClient(verify=context(ca)) as anonymous:
            with pytest.raises(httpx.TransportError):
                await anonymous.get(f"{base}/healthz")
        async with httpx.AsyncClient() as plain:
            with pytest.raises(httpx.TransportError):
                await plain.get(f"http://127.0.0.1:{http_port}/healthz")
        with pytest.raises(ssl.SSLCertVerificationError):  # the bus's certificate: not ours
            await nats.connect(
                f"nats://127.0.0.1:{nats_port}",
                allow_reconnect=False,
                max_reconnect_attempts=0,
                connect_timeout=3,
            )

        # The clerk's terminal certificate says SJ: PI work is allowed though no [zones] exist.
        async with httpx.AsyncClient(base_url=base, verify=context(ca, clerk_cert)) as clerk:
            session = await clerk.post(
                "/api/session", json={"login": "clerk", "password": PASSWORD}
            )
            assert session.status_code == 200, session.text
            assert session.json()["zone"] == "SJ"
            assert "secure" in session.headers["set-cookie"].lower()
            page = tmp_path / "page.png"
            text_page(11, lines=3).image.save(page, dpi=(300, 300))
            uploaded = await clerk.post(
                "/api/documents",
                files={"file": ("p.png", page.read_bytes(), "image/png")},
                data={"personal_info": "true"},
                headers={"X-CSRF-Token": session.json()["csrf_token"]},
            )
            assert uploaded.status_code == 202, uploaded.text

        # On the bus, certificates name the user: a dashboard's certificate hears its own
        # org only; the clerk's terminal certificate is no bus identity at all.
        code, out, err = await run(data, "creds", "dashboard", "--org", "shimin")
        assert code == 0, err
        creds = json.loads(out)
        assert creds["password"] is None
        refusals: list[str] = []

        async def refused(error: Exception) -> None:
            refusals.append(str(error))

        dashboard = await nats.connect(
            creds["url"],
            tls=context(ca, Path(creds["cert_file"])),
            inbox_prefix=creds["inbox_prefix"],
            allow_reconnect=False,
            error_cb=refused,
        )
        heard = await dashboard.subscribe("ocr.completed.shimin")
        await dashboard.subscribe("ocr.completed.zeimu")
        await dashboard.flush()
        with pytest.raises(nats.errors.Error, match="'Authorization Violation'"):
            await nats.connect(
                f"tls://127.0.0.1:{nats_port}",
                tls=context(ca, clerk_cert),
                allow_reconnect=False,
                max_reconnect_attempts=0,
            )

        # Command-line tools reach the TLS bus with the service certificate.
        code, out, err = await run(
            data, "scan", str(page), "--org", "shimin", "--wait", "--json", config=config
        )
        assert code == 0, err
        document = json.loads(out)
        assert document["status"] == "completed"
        completed = await heard.next_msg(timeout=30)
        assert json.loads(completed.data)["document_id"] in {document["document_id"]} | {
            uploaded.json()["document_id"]
        }
        assert any("permissions violation" in r.lower() for r in refusals), refusals
        await dashboard.close()

        # A scanner PC hands in over TLS with its credentials file alone (certificate paths).
        scanner_creds = tmp_path / "scanner.json"
        out_args = ("creds", "scanner", "--org", "shimin", "--out", str(scanner_creds))
        assert (await run(data, *out_args))[0] == 0
        assert json.loads(scanner_creds.read_text())["cert_file"]
        code, out, err = await run(
            tmp_path / "scanner-pc", "scan", str(page), "--creds", str(scanner_creds), "--json"
        )
        assert code == 0, err
        assert json.loads(out)["status"] == "accepted"
    finally:
        up.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(up.wait(), timeout=60) == 0


async def test_tls_on_without_certificates_refuses_to_start(tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_text("[tls]\nenabled = true\n", encoding="utf-8")
    code, _, err = await run(
        tmp_path / "data",
        "--config",
        str(config),
        "up",
        "--nats-port",
        str(free_port()),
        "--http-port",
        str(free_port()),
    )
    assert code != 0 and "tls init" in err and len(err.strip().splitlines()) == 1
