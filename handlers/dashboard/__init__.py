"""The staff dashboard: server-rendered pages over the rooms' APIs, with live updates."""

from functools import partial
from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from handlers.dashboard import applications, documents, live, payments
from handlers.dashboard.admin import admin as admin_page
from handlers.dashboard.pages import Pages
from handlers.identity import staff_guard
from handlers.ocr.pipeline import limits_from
from handlers.room import Room, Services, Wired


def routes(services: Services) -> list[BaseRoute]:
    pages = Pages(staff_guard(services), services.settings.portal.city_name)
    js, store, password = services.js, services.pi_store, services.settings.password
    retention = services.settings.retention.ocr
    one_document = "/staff/documents/{document_id}"
    return [
        Route("/staff/", partial(documents.sign_in_page, pages=pages, password=password)),
        Route("/staff/home", partial(documents.home, pages=pages)),
        Route("/staff/live", partial(live.live, pages=pages, nc=services.broker.connection)),
        Route("/staff/documents", partial(documents.documents, pages=pages, js=js)),
        Route(
            one_document,
            partial(documents.verify, pages=pages, js=js, store=store, retention=retention),
        ),
        Route(
            one_document + "/pages/{number:int}.png",
            partial(
                documents.page_image,
                pages=pages,
                js=js,
                store=store,
                ocr=services.ocr,
                limits=limits_from(services.settings.ocr),
                retention=retention,
            ),
        ),
        Route("/staff/applications", partial(applications.queue, pages=pages, js=js)),
        Route(
            "/staff/applications/{application_id}",
            partial(applications.detail, pages=pages, js=js, store=store),
        ),
        Route("/staff/payments", partial(payments.payments, pages=pages, js=js)),
        Route("/staff/payments/{payment_id}", partial(payments.payment, pages=pages, js=js)),
        Route(
            "/staff/admin",
            partial(admin_page, pages=pages, js=js, db=services.accounts, password=password),
        ),
        Mount(
            "/staff/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"
        ),
    ]


room = Room(name="dashboard", wire=lambda services: Wired(routes=routes(services)))
