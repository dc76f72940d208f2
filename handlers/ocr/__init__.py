from handlers.ocr.bus import router
from handlers.ocr.cli import export, scan, template
from handlers.ocr.watch import watch
from handlers.room import Room

room = Room(name="ocr", routers=[router], commands=[scan, template, export, watch])
