"""What an application is worked with, bound to the room's routes by its `wire`."""

from __future__ import annotations

from dataclasses import dataclass

from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from handlers.payments.service import PaymentDesk
from infra.ocr.engine import OcrEngine
from infra.pi_store import PersonalDataStore


@dataclass(frozen=True)
class ApplicationDesk:
    """The index and procedures (`js`), the PI store with answers and attachments, the bus an
    application is announced on, the OCR engine that probes attachments, and the payments
    desk its fee is paid through."""

    js: JetStreamContext
    store: PersonalDataStore
    broker: NatsBroker
    ocr: OcrEngine
    payments: PaymentDesk
