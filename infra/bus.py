"""Connecting to the bus and subscribing the way every handler must.

`durable_subscriber` is the only way rooms consume JetStream: a durable pull consumer (shared by
any number of processes), manual acks left to the reliability middleware, one message at a time.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

import nats
from faststream.middlewares import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, NatsRouter, PullSub
from faststream.nats.security import NatsUserPassword
from faststream.security import BaseSecurity
from nats.aio.client import Client
from nats.js.api import DeliverPolicy

from events.catalog import DEAD_LETTERS, EventSpec
from infra.nats_server import load_or_create_passwords, recorded_url
from infra.reliability import ReliabilityMiddleware, RetryPolicy
from infra.tls import load_client_context
from schemas.scan_intake import BusCredentials
from schemas.settings import ReliabilitySettings

Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])

# How long the server waits for an ack before redelivering to another worker; long work
# keeps its message with in_progress() heartbeats every third of this.
ACK_WAIT_SECONDS = 30.0


def retry_policy(settings: ReliabilitySettings) -> RetryPolicy:
    return RetryPolicy(backoff=tuple(settings.backoff), ack_wait=ACK_WAIT_SECONDS)


def make_broker(
    urls: Sequence[str],
    password: str | None,
    policy: RetryPolicy,
    *,
    user: str = "operator",
    graceful_timeout: float = 10.0,
    name: str = "madoguchi",
    ssl_context: ssl.SSLContext | None = None,
) -> NatsBroker:
    # No password: the bus identifies us by our TLS client certificate.
    security = (
        BaseSecurity(ssl_context=ssl_context)
        if password is None
        else NatsUserPassword(username=user, password=password, ssl_context=ssl_context)
    )
    broker = NatsBroker(
        list(urls),
        security=security,
        name=name,
        graceful_timeout=graceful_timeout,
        ack_policy=AckPolicy.MANUAL,
        max_reconnect_attempts=-1,
        logger=logging.getLogger("madoguchi.bus"),  # our JSON lines, masked
        log_level=logging.DEBUG,  # one line per message is for debugging, not for operators
    )

    async def dead_letter(subject: str, body: bytes, headers: dict[str, str]) -> None:
        await broker.publish(body, subject=subject, headers=headers, stream=DEAD_LETTERS.name)

    broker.add_middleware(ReliabilityMiddleware(policy, dead_letter))
    return broker


def durable_subscriber(
    router: NatsRouter,
    spec: EventSpec,
    durable: str,
    *,
    description: str = "",
    ack_wait: float = ACK_WAIT_SECONDS,
) -> Callable[[Handler], Handler]:
    """Decorator: consume `spec` for every org through the shared durable consumer `durable`.

    `ack_wait` must match the RetryPolicy's, which paces the in_progress() heartbeats.
    """
    decorator = router.subscriber(
        spec.all_orgs,
        stream=JStream(spec.stream, declare=False),
        durable=durable,
        pull_sub=PullSub(batch_size=1, timeout=5.0),
        config=ConsumerConfig(
            ack_wait=ack_wait,
            max_deliver=-1,  # the reliability middleware decides when to give up
            deliver_policy=DeliverPolicy.ALL,
        ),
        ack_policy=AckPolicy.MANUAL,
        description=description or spec.description,
    )
    return cast(Callable[[Handler], Handler], decorator)


async def connect_client(data_dir: Path) -> Client:
    """The service's own client for command-line tools, with the credentials under `--data`."""
    urls = recorded_url(data_dir).split(",")
    context, mapped = load_client_context(data_dir / "nats")
    identity = (
        {}
        if mapped
        else {
            "user": "operator",
            "password": load_or_create_passwords(data_dir / "nats")["operator"],
        }
    )
    try:
        return await nats.connect(
            urls,
            tls=context if urls[0].startswith("tls:") else None,
            **identity,
            allow_reconnect=False,
            connect_timeout=5,
            max_reconnect_attempts=0,
        )
    except Exception as exc:
        raise ConnectionError(
            f"cannot reach the bus at {', '.join(urls)}: is `madoguchi up` running? ({exc})"
        ) from None


def credentials_context(creds: BusCredentials) -> ssl.SSLContext | None:
    """TLS from a credentials file: trust its CA, present its client certificate if any."""
    if creds.ca_file is None:
        return None
    context = ssl.create_default_context(cafile=creds.ca_file)
    if creds.cert_file and creds.key_file:
        context.load_cert_chain(creds.cert_file, creds.key_file)
    return context


async def connect_as(
    creds: BusCredentials,
    urls: Sequence[str],
    error_cb: Callable[[Exception], Awaitable[None]],
    *,
    reconnect: bool,
    disconnected_cb: Callable[[], Awaitable[None]] | None = None,
) -> Client:
    """A plain client acting as the credentials' user (a scanner PC, a vendor's program);
    with `reconnect`, it rides out a restart of the bus."""
    context = credentials_context(creds)
    identity = {} if creds.password is None else {"user": creds.user, "password": creds.password}
    try:
        return await nats.connect(
            list(urls),
            tls=context if context is not None and urls[0].startswith("tls:") else None,
            **identity,
            inbox_prefix=creds.inbox_prefix,
            error_cb=error_cb,
            disconnected_cb=disconnected_cb,
            allow_reconnect=reconnect,
            max_reconnect_attempts=-1 if reconnect else 0,
            reconnect_time_wait=0.5,
            connect_timeout=5,
        )
    except Exception as exc:
        raise ConnectionError(f"cannot reach the bus at {', '.join(urls)} ({exc})") from None
