from __future__ import annotations

from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from events.envelope import new_event_id, publish_event
from infra.bus import make_broker
from infra.reliability import RetryPolicy
from schemas.events import PaymentSettled
from tests.conftest import NatsFixture
from tests.support import subject_counts


async def test_a_repeated_event_id_is_stored_once(
    nats_server: NatsFixture, js: JetStreamContext
) -> None:
    broker: NatsBroker = make_broker(
        [nats_server.url], nats_server.passwords["operator"], RetryPolicy((1.0,), 30.0)
    )
    await broker.connect()
    event = PaymentSettled(
        event_id=new_event_id(), org="org-dup", payment_id="p1", application_id="a1", amount=300
    )
    first = await publish_event(broker, event)
    again = await publish_event(broker, event)
    other = await publish_event(broker, event.model_copy(update={"event_id": new_event_id()}))
    assert not first.duplicate and again.duplicate and not other.duplicate
    assert again.seq == first.seq
    assert await subject_counts(js, "PAYMENTS", "payment.settled.org-dup") == {
        "payment.settled.org-dup": 2
    }
    stored = await js.get_msg("PAYMENTS", first.seq)
    assert stored.headers["Nats-Msg-Id"] == event.event_id
    assert stored.headers["Madoguchi-Schema"] == "payment.settled/v1"
    assert PaymentSettled.model_validate_json(stored.data) == event
    await broker.stop()
