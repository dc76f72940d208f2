from functools import partial

from handlers.identity import staff_guard
from handlers.payments import web
from handlers.payments.reconcile import reconcile_forever
from handlers.payments.service import PaymentDesk
from handlers.room import Room, Services, Wired


def wire(services: Services) -> Wired:
    desk = PaymentDesk(services.js, services.broker, services.payment_agent)
    return Wired(
        routes=web.routes(desk, staff_guard(services), services.agent_secrets.webhook_secret),
        tasks=[partial(reconcile_forever, desk, services.settings.payment_agent)],
    )


room = Room(name="payments", wire=wire)
