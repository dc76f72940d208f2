"""The staff dashboard: server-rendered pages over the rooms' APIs, with live updates."""

from pathlib import Path

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from handlers.dashboard import applications, documents, live, payments
from handlers.dashboard.admin import admin as admin_page
from handlers.room import Room

routes = [
    Route("/staff/", documents.sign_in_page),
    Route("/staff/home", documents.home),
    Route("/staff/live", live.live),
    Route("/staff/documents", documents.documents),
    Route("/staff/documents/{document_id}", documents.verify),
    Route("/staff/documents/{document_id}/pages/{number:int}.png", documents.page_image),
    Route("/staff/applications", applications.queue),
    Route("/staff/applications/{application_id}", applications.detail),
    Route("/staff/payments", payments.payments),
    Route("/staff/payments/{payment_id}", payments.payment),
    Route("/staff/admin", admin_page),
    Mount("/staff/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
]

room = Room(name="dashboard", routes=routes)
