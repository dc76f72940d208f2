from functools import partial

from handlers.identity import staff_guard
from handlers.ocr import admin_web, web
from handlers.ocr.bus import router
from handlers.ocr.cli import export, scan, template
from handlers.ocr.expiry import follow_scan_expiry
from handlers.ocr.pipeline import limits_from
from handlers.ocr.scan_service import serve_scan_intake
from handlers.ocr.watch import watch
from handlers.room import Room, Services, Wired


def wire(services: Services) -> Wired:
    guard = staff_guard(services)
    desk = web.DocumentDesk(
        services.js,
        services.pi_store,
        services.broker,
        limits_from(services.settings.ocr),
        services.settings.retention.ocr,
    )
    return Wired(
        routes=[
            *web.routes(desk, guard),
            *admin_web.routes(services.js, guard, services.accounts),
        ],
        tasks=[
            partial(
                serve_scan_intake,
                services.broker.connection,
                services.pi_store,
                services.settings.ocr,
            ),
            partial(follow_scan_expiry, services.js, services.pi_store),
        ],
    )


room = Room(name="ocr", routers=[router], commands=[scan, template, export, watch], wire=wire)
