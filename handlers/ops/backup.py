"""`madoguchi backup --out DIR` and `madoguchi restore --from DIR`: JetStream stream snapshots.

Every stream of the catalog is saved, the event streams and the KV / object-store buckets alike
(`KV_*`, `OBJ_*`), each as the server's own snapshot (an s2-compressed tar of its store, with
its consumers) in `<STREAM>.tar.s2`, and `manifest.json` naming each one with its config, state,
message count, size and SHA-256. Personal records stay as they are kept: sealed, their data keys
in key buckets with the records' retention. A restored stream keeps its config and its messages
their original times, so the server drops whatever is past its `max_age`: a data key that had
expired (or expires later) is gone from the restored bus too, and its record with it.

nats-py has no snapshot API, so this speaks the server's protocol (nats-server
`jetstream_api.go`):

- snapshot: subscribe to an inbox; request `$JS.API.STREAM.SNAPSHOT.<stream>` with
  `{"deliver_subject": inbox}`; the answer holds the config and state; the chunks follow on the
  inbox, each with a reply subject to acknowledge (the server's flow control), and an empty
  message ends them.
- restore: request `$JS.API.STREAM.RESTORE.<stream>` with `{"config", "state"}`; the answer
  names the subject to send the chunks to, each as a request answered empty; an empty request
  ends the upload and is answered with the restored stream's info or an error.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import nats
from nats.aio.client import Client

from events.catalog import BUCKETS, STREAMS
from handlers.cli_support import run_with_bus
from infra.nats_server import EmbeddedNatsServer, ServerPaths

FORMAT = "madoguchi-backup/1"
MANIFEST = "manifest.json"
CHUNK_BYTES = 128 * 1024
API_TIMEOUT = 60.0  # a large stream's snapshot is prepared before the answer
CHUNK_TIMEOUT = 30.0
RETENTION_TIMEOUT = 30.0  # how long a restore waits for the server to drop what is past its age
STREAM_NOT_FOUND = 10059  # the server's err_code


class BackupError(click.ClickException):
    pass


class JetStreamApiError(BackupError):
    def __init__(self, subject: str, error: dict[str, Any]) -> None:
        super().__init__(f"{subject}: {error.get('description', error)}")
        self.err_code = error.get("err_code")


def catalog_streams() -> list[str]:
    """Every stream of the catalog, buckets last: the order of backup and restore."""
    return [s.name for s in STREAMS] + [b.stream_name for b in BUCKETS]


async def _api(client: Client, subject: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = await client.request(
        f"$JS.API.{subject}", json.dumps(body).encode(), timeout=API_TIMEOUT
    )
    answer: dict[str, Any] = json.loads(reply.data)
    if answer.get("error"):
        raise JetStreamApiError(subject, answer["error"])
    return answer


async def snapshot_stream(client: Client, stream: str, target: Path) -> dict[str, Any]:
    """Write `stream`'s snapshot to `target`; its manifest entry."""
    inbox = client.new_inbox()
    sub = await client.subscribe(inbox)  # before the request: the server waits for interest
    digest, size = hashlib.sha256(), 0
    partial = target.with_name(target.name + ".partial")
    try:
        answer = await _api(client, f"STREAM.SNAPSHOT.{stream}", {"deliver_subject": inbox})
        with partial.open("wb") as out:
            while True:
                chunk = await sub.next_msg(timeout=CHUNK_TIMEOUT)
                status = (chunk.headers or {}).get("Status", "")
                if status and not status.startswith("2"):
                    raise BackupError(f"snapshot of {stream} failed: {chunk.headers}")
                if not chunk.data:
                    break  # the end
                out.write(chunk.data)
                digest.update(chunk.data)
                size += len(chunk.data)
                if chunk.reply:
                    await client.publish(chunk.reply, b"")
        partial.replace(target)
    finally:
        await sub.unsubscribe()
        partial.unlink(missing_ok=True)
    state = answer.get("state") or {}
    return {
        "name": stream,
        "file": target.name,
        "size_bytes": size,
        "sha256": digest.hexdigest(),
        "messages": state.get("messages", 0),
        "bytes": state.get("bytes", 0),
        "config": answer["config"],
        "state": state,
    }


async def restore_stream(client: Client, entry: dict[str, Any], source: Path) -> dict[str, Any]:
    """Upload one snapshot; the restored stream's state."""
    name = entry["name"]
    config = dict(entry["config"])
    if not _clustered(client):  # a cluster's replicated streams onto one server: one copy
        config["num_replicas"] = 1
    answer = await _api(
        client, f"STREAM.RESTORE.{name}", {"config": config, "state": entry["state"]}
    )
    deliver = answer["deliver_subject"]
    with (source / entry["file"]).open("rb") as snapshot:
        while chunk := snapshot.read(CHUNK_BYTES):
            reply = await client.request(deliver, chunk, timeout=CHUNK_TIMEOUT)
            if reply.data:
                raise BackupError(f"restore of {name} failed: {reply.data[:200]!r}")
    done = await client.request(deliver, b"", timeout=API_TIMEOUT * 10)
    final: dict[str, Any] = json.loads(done.data)
    if final.get("error"):
        raise BackupError(f"restore of {name} failed: {final['error'].get('description')}")
    return dict(final.get("state") or {})


def _clustered(client: Client) -> bool:
    # nats-py keeps the server's INFO (which names its cluster, if any) in an attribute only.
    info: dict[str, Any] = getattr(client, "_server_info", None) or {}
    return bool(info.get("cluster"))


async def wait_for_retention(
    client: Client, name: str, timeout: float = RETENTION_TIMEOUT
) -> dict[str, Any]:
    """Wait until the server has dropped what is past the stream's max age (it does so on its
    next expiry pass, not at once); the stream's state then. Until that pass an expired record
    could still be read, so a restore is not over before it."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        info = await _api(client, f"STREAM.INFO.{name}", {})
        max_age_ns, state = int(info["config"].get("max_age") or 0), info["state"]
        if not max_age_ns or not state.get("messages"):
            return dict(state)
        oldest = datetime.fromisoformat(state["first_ts"])
        if oldest >= datetime.now(UTC) - timedelta(microseconds=max_age_ns / 1000):
            return dict(state)
        if asyncio.get_running_loop().time() > deadline:
            raise BackupError(f"{name}: messages past the retention still there after {timeout}s")
        await asyncio.sleep(0.1)


def dropped_on_restore(entry: dict[str, Any], state: dict[str, Any]) -> int:
    """How many of the backup's messages the restored stream no longer holds. Messages after
    the backup's last sequence are the server's own (KV expiry markers), not the backup's."""
    backup_last = int(entry["state"].get("last_seq", 0))
    newer = max(0, int(state.get("last_seq", 0)) - backup_last)
    still_there = max(0, int(state.get("messages", 0)) - newer)
    return max(0, int(entry["messages"]) - still_there)


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def load_manifest(source: Path) -> dict[str, Any]:
    """The manifest, after checking every snapshot it names is there and unaltered."""
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{source}: no {MANIFEST} (not a backup, or an unfinished one)") from None
    except json.JSONDecodeError as exc:
        raise BackupError(f"{source / MANIFEST}: not JSON ({exc.msg})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source / MANIFEST}: format {manifest.get('format')!r}, not {FORMAT}")
    for entry in manifest["streams"]:
        path = source / entry["file"]
        if not path.is_file() or path.stat().st_size != entry["size_bytes"]:
            raise BackupError(f"{path}: missing or not the size the manifest says")
        if _sha256(path) != entry["sha256"]:
            raise BackupError(f"{path}: altered (SHA-256 differs from the manifest)")
    return manifest


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


@click.command()
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="a new or empty directory",
)
@click.pass_obj
def backup(obj: dict[str, Any], out: Path) -> None:
    """Snapshot every stream and bucket into DIR (one file each, and manifest.json)."""
    if (out / MANIFEST).exists():
        raise click.BadParameter(f"{out} already holds a backup", param_hint="--out")
    out.mkdir(mode=0o700, parents=True, exist_ok=True)

    async def work(client: Client) -> int:
        entries = []
        for name in catalog_streams():
            try:
                entry = await snapshot_stream(client, name, out / f"{name}.tar.s2")
            except JetStreamApiError as exc:
                if exc.err_code != STREAM_NOT_FOUND:
                    raise
                click.echo(f"{name}: not on this bus, skipped", err=True)
                continue
            click.echo(f"{name}\t{entry['messages']} messages\t{entry['size_bytes']} B")
            entries.append(entry)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(),
            "server_version": str(client.connected_server_version),
            "streams": entries,
        }
        # The manifest last: a backup without one was not finished.
        _write_private(out / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        click.echo(f"backed up {len(entries)} streams to {out}", err=True)
        return 0

    run_with_bus(obj, work)


@click.command()
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="a directory written by `madoguchi backup`",
)
@click.option(
    "--embedded",
    is_flag=True,
    help="restore into this --data's own nats-server, started for the restore"
    " (a fresh --data, before its first `up`)",
)
@click.pass_obj
def restore(obj: dict[str, Any], source: Path, embedded: bool) -> None:
    """Restore every stream of a backup into a bus that has none of them yet."""
    manifest = load_manifest(source)

    async def work(client: Client) -> int:
        names = [entry["name"] for entry in manifest["streams"]]
        taken = []
        for name in names:
            try:
                await _api(client, f"STREAM.INFO.{name}", {})
            except JetStreamApiError as exc:
                if exc.err_code != STREAM_NOT_FOUND:
                    raise
                continue
            taken.append(name)
        if taken:
            raise BackupError(
                f"the bus already has {', '.join(taken)}: restore into a fresh bus"
                " (a new --data with --embedded, before its first `up`)"
            )
        for entry in manifest["streams"]:
            await restore_stream(client, entry, source)
        for entry in manifest["streams"]:
            state = await wait_for_retention(client, entry["name"])
            click.echo(
                f"{entry['name']}\t{entry['messages']} messages in the backup"
                f"\t{dropped_on_restore(entry, state)} past their retention, dropped"
            )
        click.echo(f"restored {len(names)} streams from {source}", err=True)
        return 0

    if not embedded:
        run_with_bus(obj, work)
        return
    data_dir = Path(obj["data"])
    if (ServerPaths(data_dir).store_dir / "jetstream").exists():
        raise click.BadParameter(
            f"{data_dir} already has a JetStream store: use a new --data", param_hint="--embedded"
        )
    code = asyncio.run(_with_embedded_server(data_dir, work))
    if code:
        sys.exit(code)


async def _with_embedded_server(data_dir: Path, work: Callable[[Client], Awaitable[int]]) -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = EmbeddedNatsServer(data_dir, port)
    await server.start()
    try:
        client = await nats.connect(
            server.url, user="operator", password=server.passwords["operator"]
        )
        try:
            return await work(client)
        finally:
            await client.close()
    finally:
        await server.stop()
