"""`madoguchi audit replay --verify` on a running deployment, before and after tampering."""

from __future__ import annotations

import json
from pathlib import Path

import nats

from events.envelope import new_event_id
from handlers.audit.cli import read_chain
from tests.support import eventually
from tests.test_privacy import cli, running


def trace_of(event_id: str) -> str:
    return f"00-{event_id}-{event_id[:16]}-01"


async def test_replay_verifies_then_names_a_deleted_entry(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "up.log"
    config = tmp_path / "settings.toml"
    config.write_text("[audit]\ncheckpoint_every = 2\n", encoding="utf-8")
    async with running(data, log, config) as url:
        password = json.loads((data / "nats" / "credentials.json").read_text())["operator"]
        client = await nats.connect(url, user="operator", password=password["password"])
        js = client.jetstream()
        ids = [new_event_id() for _ in range(5)]
        for event_id in ids:
            body = json.dumps(
                {
                    "event_id": event_id,
                    "org": "shimin",
                    "payment_id": "p",
                    "application_id": "a",
                    "amount": 300,
                }
            )
            await js.publish(
                "payment.settled.shimin",
                body.encode(),
                headers={"Nats-Msg-Id": event_id, "traceparent": trace_of(event_id)},
            )

        async def chained() -> bool:
            entries, _ = await read_chain(js)
            return {e.msg_id for e in entries} >= set(ids)

        assert await eventually(chained, timeout=60)
        entries, checkpoints = await read_chain(js)
        assert [e.index for e in entries] == list(range(1, len(entries) + 1))
        traced = {e.msg_id: e.traceparent for e in entries if e.msg_id in ids}
        assert traced == {event_id: trace_of(event_id) for event_id in ids}
        assert len(checkpoints) >= 2

        code, out, err = await cli(data, "--config", str(config), "audit", "replay", "--verify")
        assert code == 0, err
        assert "verified" in err
        assert [json.loads(line)["msg_id"] for line in out.splitlines()][-5:] == ids
        code, out, _ = await cli(data, "audit", "replay", "--format", "csv")
        assert code == 0 and out.startswith("index,recorded_at,subject")
        code, report, err = await cli(data, "privacy-report", "--days", "1")
        assert code == 0, err
        for heading in (
            "## 1. 保存期間",
            "## 2. 暗号化",
            "## 3. ネットワーク区分",
            "## 4. パスワード方針",
            "## 5. 所属別の記録",
            "## 6. 監査記録の検証",
        ):
            assert heading in report
        assert (
            "| pi_scans |" not in report
            and "| OBJ_pi_scans | object | あり | 5日 | 5日 | 適合 |" in report
        )
        assert "検証済み" in report and "不一致" not in report

        # Remove the third entry from the stream: replay must name it.
        third = next(e for e in entries if e.index == 3)
        seq = 0
        sub = await js.subscribe("audit.entry", ordered_consumer=True)
        while not seq:
            msg = await sub.next_msg(timeout=5)
            if json.loads(msg.data)["index"] == third.index:
                seq = msg.metadata.sequence.stream
        await sub.unsubscribe()
        await js.delete_msg("AUDIT", seq)
        await client.close()
        code, _, err = await cli(data, "audit", "replay", "--verify")
        assert code == 1
        assert "entry 3 is missing" in err
        code, report, _ = await cli(data, "privacy-report")
        assert code == 0 and "**検証失敗**: entry 3 is missing" in report

        code, pem, _ = await cli(data, "audit", "public-key")
        assert code == 0 and pem.startswith("-----BEGIN PUBLIC KEY-----")
