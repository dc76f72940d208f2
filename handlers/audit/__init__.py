from handlers.audit.bus import router
from handlers.audit.cli import audit
from handlers.room import Room

room = Room(name="audit", routers=[router], commands=[audit])
