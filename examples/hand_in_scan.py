"""Hand one scan in to madoguchi with plain nats-py: python hand_in_scan.py CREDS.json FILE"""

import asyncio
import hashlib
import json
import sys
from pathlib import Path

import nats


async def hand_in(creds: dict[str, str], data: bytes) -> dict[str, str]:
    names = ("user", "password", "inbox_prefix")  # a scanner's own inboxes, nobody else's
    nc = await nats.connect(creds["url"], **{name: creds[name] for name in names})
    head = {"Scan-Sha256": hashlib.sha256(data).hexdigest(), "Scan-Size": str(len(data))}
    first = subject = f"scan.submit.{creds['org']}"
    offset, size = 0, 1024 * 1024  # the first message carries up to 1 MiB
    while True:
        headers = {**head, "Scan-Offset": str(offset)}
        msg = await nc.request(subject, data[offset : offset + size], timeout=30, headers=headers)
        reply = json.loads(msg.data)
        if reply["status"] == "continue":  # send the next chunk where the service says
            subject, offset, size = reply["upload"], reply["offset"], reply["chunk_bytes"]
        elif reply["status"] == "retry":  # busy, or the upload was lost: start again
            await asyncio.sleep(reply["retry_after"])
            subject, offset, size = first, 0, 1024 * 1024
        else:  # "accepted" with "document_id", or "rejected" with "reason_code" and "reason"
            await nc.close()
            return dict(reply)


if __name__ == "__main__":
    creds = json.loads(Path(sys.argv[1]).read_text())  # `madoguchi creds scanner --out FILE`
    reply = asyncio.run(hand_in(creds, Path(sys.argv[2]).read_bytes()))
    print(json.dumps(reply, ensure_ascii=False))
