from functools import partial

from handlers.applications import admin_web, portal, web
from handlers.applications.bus import router
from handlers.applications.cli import procedure
from handlers.applications.desk import ApplicationDesk
from handlers.applications.records import keep_keys_current
from handlers.identity import staff_guard
from handlers.payments.service import PaymentDesk
from handlers.room import Room, Services, Wired


def wire(services: Services) -> Wired:
    guard = staff_guard(services)
    desk = ApplicationDesk(
        services.js,
        services.pi_store,
        services.broker,
        services.ocr,
        PaymentDesk(services.js, services.broker, services.payment_agent),
    )
    return Wired(
        routes=[
            *web.routes(desk, guard),
            *portal.routes(portal.Portal(desk, services.settings.portal.city_name)),
            *admin_web.routes(services.js, guard, services.accounts),
        ],
        tasks=[partial(keep_keys_current, services.js)],
    )


room = Room(name="applications", routers=[router], commands=[procedure], wire=wire)
