"""Create or update every stream, KV bucket and object store the catalog declares.

Idempotent: what exists with the wanted settings is left alone; a changed retention (or replica
count) is applied in place, so restarting with new `[retention]` settings takes effect.

Replicas: 3 on a cluster of 3 or more servers (every acknowledged write is then on a majority of
them, and one server may fail), 1 on a single server. Counted, never shrunk: a node that happens
to be away while we start must not cost the streams their copies.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from nats.js import JetStreamContext
from nats.js.api import (
    KeyValueConfig,
    ObjectStoreConfig,
    StorageType,
    StreamConfig,
    StreamSource,
)
from nats.js.errors import NotFoundError

from events.catalog import BUCKETS, STREAMS, BucketSpec, StreamSpec, retention_seconds
from schemas.settings import RetentionSettings

Outcome = Literal["created", "updated", "unchanged"]

# Limit markers make an expired KV key visible to watchers (as a PURGE), so derived copies
# can be deleted on the store's own expiry signal rather than on a timer's guess.
LIMIT_MARKER_TTL = 60.0

CLUSTER_REPLICAS = 3


@dataclass(frozen=True)
class Provisioned:
    stream: str
    outcome: Outcome


def cluster_size(js: JetStreamContext) -> int:
    """How many servers the connected one counts in its cluster; 1 outside a cluster.

    From the INFO the server sent when we connected: `cluster` names its cluster, `connect_urls`
    lists the client URLs of every server it has a route to, its own included. JetStream's own
    API tells an account nothing about the cluster, and nats-py keeps INFO in an attribute.
    """
    info: dict[str, Any] = getattr(getattr(js, "_nc", None), "_server_info", None) or {}
    if not info.get("cluster"):
        return 1
    return max(len(info.get("connect_urls") or ()), 1)


def replicas_for(servers: int) -> int:
    return CLUSTER_REPLICAS if servers >= CLUSTER_REPLICAS else 1


def _managed_changes(current: StreamConfig, max_age: float, replicas: int) -> StreamConfig | None:
    """The updated config if retention or replicas differ, else None."""
    same_age = current.max_age is not None and abs(current.max_age - max_age) < 1e-3
    if same_age and (current.num_replicas or 1) == replicas:
        return None
    window = current.duplicate_window or 120.0
    if max_age > 0:
        window = min(window, max_age)
    return replace(current, max_age=max_age, num_replicas=replicas, duplicate_window=window)


async def _reconcile(
    js: JetStreamContext, current: StreamConfig, max_age: float, replicas: int, keep_more: bool
) -> Provisioned:
    """An existing stream (or bucket's stream): apply a changed retention or replica count
    (`keep_more`: only a higher one)."""
    if keep_more:
        replicas = max(replicas, current.num_replicas or 1)
    changed = _managed_changes(current, max_age, replicas)
    if changed is None:
        return Provisioned(str(current.name), "unchanged")
    await js.update_stream(changed)
    return Provisioned(str(current.name), "updated")


async def _stream_info_or_none(js: JetStreamContext, name: str) -> StreamConfig | None:
    try:
        info = await js.stream_info(name)
    except NotFoundError:
        return None
    return info.config


async def provision_stream(
    js: JetStreamContext,
    spec: StreamSpec,
    max_age: float,
    replicas: int = 1,
    *,
    keep_more: bool = False,
) -> Provisioned:
    current = await _stream_info_or_none(js, spec.name)
    if current is None:
        await js.add_stream(
            StreamConfig(
                name=spec.name,
                description=spec.description,
                subjects=list(spec.subjects) or None,
                sources=[StreamSource(name=name) for name in spec.sources] or None,
                max_age=max_age,
                storage=StorageType.FILE,
                num_replicas=replicas,
                duplicate_window=min(spec.duplicate_window, max_age or spec.duplicate_window),
            )
        )
        return Provisioned(spec.name, "created")
    return await _reconcile(js, current, max_age, replicas, keep_more)


async def provision_bucket(
    js: JetStreamContext,
    spec: BucketSpec,
    max_age: float,
    replicas: int = 1,
    *,
    keep_more: bool = False,
) -> Provisioned:
    current = await _stream_info_or_none(js, spec.stream_name)
    if current is None:
        if spec.kind == "kv":
            await js.create_key_value(
                KeyValueConfig(
                    bucket=spec.name,
                    description=spec.description,
                    ttl=max_age,
                    storage=StorageType.FILE,
                    replicas=replicas,
                    limit_marker_ttl=min(LIMIT_MARKER_TTL, max_age) if max_age else None,
                )
            )
        else:
            await js.create_object_store(
                spec.name,
                ObjectStoreConfig(
                    description=spec.description,
                    ttl=max_age,
                    storage=StorageType.FILE,
                    replicas=replicas,
                ),
            )
        return Provisioned(spec.stream_name, "created")
    return await _reconcile(js, current, max_age, replicas, keep_more)


async def provision_all(
    js: JetStreamContext, retention: RetentionSettings, replicas: int | None = None
) -> list[Provisioned]:
    """`replicas`: as given, or (None) counted from the cluster and never lowered."""
    keep_more = replicas is None
    wanted = replicas_for(cluster_size(js)) if replicas is None else replicas
    done = [
        await provision_stream(
            js, spec, retention_seconds(spec.retention, retention), wanted, keep_more=keep_more
        )
        for spec in STREAMS
    ]
    done += [
        await provision_bucket(
            js, spec, retention_seconds(spec.retention, retention), wanted, keep_more=keep_more
        )
        for spec in BUCKETS
    ]
    return done
