"""Sending one webhook the Standard Webhooks way: an id per message, a timestamp per try,
an HMAC-SHA256 signature over "id.timestamp.body" with the shared secret."""

from __future__ import annotations

import datetime as dt
import logging
import ssl

import httpx
from standardwebhooks import Webhook

from infra.payment_sandbox.state import Outgoing

log = logging.getLogger("madoguchi.payment_sandbox")


class WebhookSender:
    def __init__(
        self,
        secret: str,
        url: str,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._signer = Webhook(secret)
        self._url = url
        self._client = httpx.AsyncClient(
            verify=ssl_context if ssl_context is not None else True,
            timeout=timeout,
            follow_redirects=False,
        )

    def headers(self, message: Outgoing, now: dt.datetime) -> dict[str, str]:
        return {
            "webhook-id": message.id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self._signer.sign(message.id, now, message.body),
            "content-type": "application/json",
        }

    async def send(self, message: Outgoing) -> bool:
        """True when the receiver acknowledged it (2xx); anything else is tried again later."""
        headers = self.headers(message, dt.datetime.now(dt.UTC))
        try:
            response = await self._client.post(
                self._url, content=message.body.encode(), headers=headers
            )
        except httpx.HTTPError as exc:
            log.warning(
                "webhook not delivered",
                extra={"webhook_id": message.id, "error": type(exc).__name__},
            )
            return False
        if response.is_success:
            return True
        log.warning(
            "webhook refused",
            extra={"webhook_id": message.id, "status": response.status_code},
        )
        return False

    async def aclose(self) -> None:
        await self._client.aclose()
