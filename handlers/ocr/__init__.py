from handlers.ocr import admin_web
from handlers.ocr.bus import router
from handlers.ocr.cli import export, scan, template
from handlers.ocr.expiry import follow_scan_expiry
from handlers.ocr.scan_service import serve_scan_intake
from handlers.ocr.watch import watch
from handlers.ocr.web import routes
from handlers.room import Room

room = Room(
    name="ocr",
    routers=[router],
    routes=[*routes, *admin_web.routes],
    commands=[scan, template, export, watch],
    tasks=[serve_scan_intake, follow_scan_expiry],
)
