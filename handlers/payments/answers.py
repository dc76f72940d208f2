"""What the payment lifecycle refuses, the agent fails at, or a concurrent write spoils, as
the API's answers (409, 502): the same for every payment call, in whichever room it is made."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from handlers.payments.lifecycle import MESSAGES, PaymentRefused
from infra.http import CONFLICT
from infra.kv import RecordChanged
from infra.payment_agent import PaymentAgentError
from infra.web import ApiError

log = logging.getLogger("madoguchi.payments")
AGENT_DOWN_MESSAGE = "決済代行会社に接続できませんでした。時間をおいてお試しください。"
AGENT_DOWN = ApiError(502, "payment_agent_unavailable", AGENT_DOWN_MESSAGE)
PAYMENT_GONE = "支払いが見つかりません。"


def agent_trouble(exc: PaymentAgentError) -> ApiError:
    log.warning("payment agent call failed: %s", exc.code)
    return AGENT_DOWN


@contextlib.contextmanager
def refusals_answered() -> Iterator[None]:
    """PaymentRefused (409), PaymentAgentError (502), RecordChanged (409)."""
    try:
        yield
    except PaymentRefused as refused:
        raise ApiError(409, refused.code, MESSAGES[refused.code]) from None
    except PaymentAgentError as exc:
        raise agent_trouble(exc) from None
    except RecordChanged:
        raise CONFLICT from None
