"""Run inside a network namespace of its own (`unshare -n`), with the system's python3 and the
standard library only: show that no network is reachable, install the offline bundle, start
`madoguchi up` and scan the example form. Prints one JSON object for the test to judge.

    offline_inside.py BUNDLE_DIR PREFIX DATA_DIR
"""

from __future__ import annotations

import errno
import json
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

# TEST-NET-1 (RFC 5737): a documentation address no network routes, so that even a namespace
# with a route would send nothing anywhere real; in ours, connect() must fail before any packet.
UNROUTABLE = ("192.0.2.1", 9)


def network_check() -> dict[str, object]:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    routes = Path("/proc/net/route").read_text().splitlines()[1:]
    try:
        with socket.create_connection(UNROUTABLE, timeout=5):
            reached = "connected"
    except OSError as exc:
        reached = errno.errorcode.get(exc.errno or 0, str(exc))
    return {
        "interfaces": sorted(name for _, name in socket.if_nameindex()),
        "ipv4_routes": len(routes),
        "outside": reached,
    }


def lines_of(process: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def wait_for_banner(lines: queue.Queue[str], seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    seen: list[str] = []
    while not any(" is up" in line for line in seen):
        try:
            seen.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
        except queue.Empty:
            raise RuntimeError("madoguchi up did not start:\n" + "".join(seen[-30:])) from None
    return seen


# Run by the installed Python: each vendored model, as the installed code finds and loads it.
VENDORED = """
import json
from infra.ocr import tesseract as t
apis = {t.VERTICAL_MODEL: t.vertical_api, t.SECOND_MODEL: t.second_jpn_api}
print(json.dumps({
    model: {
        "in_package": t.vendored_tessdata(t.default_tessdata(), model) == str(t.BUNDLED_TESSDATA),
        "loaded": api().GetInitLanguagesAsString(),
    }
    for model, api in apis.items()
}))
"""


def main() -> None:
    bundle, prefix, data = (Path(arg) for arg in sys.argv[1:4])
    report: dict[str, object] = {"network": network_check()}
    started = time.monotonic()
    subprocess.run([str(bundle / "install.sh"), str(prefix)], check=True)
    report["install_seconds"] = round(time.monotonic() - started, 1)
    vendored = subprocess.run(
        [str(prefix / "bin" / "python"), "-c", VENDORED], check=True, capture_output=True, text=True
    )
    report["vendored"] = json.loads(vendored.stdout)
    madoguchi = [str(prefix / "bin" / "madoguchi"), "--data", str(data)]
    examples = prefix / "share" / "madoguchi" / "examples"
    up = subprocess.Popen(
        [*madoguchi, "up"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        wait_for_banner(lines_of(up), 120)
        subprocess.run([*madoguchi, "org", "add", "demo", "--name", "見本課"], check=True)
        subprocess.run(
            [*madoguchi, "template", "add", str(examples / "juminhyo-v1.json"), "--org", "demo"],
            check=True,
        )
        scanned = subprocess.run(
            [*madoguchi, "scan", str(examples / "juminhyo-sample.pdf"), "--org", "demo",
             "--template", "juminhyo-v1", "--wait", "--json", "--timeout", "120"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        report["result"] = json.loads(scanned.stdout)
    finally:
        up.send_signal(signal.SIGINT)
        report["up_exit"] = up.wait(timeout=60)
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
