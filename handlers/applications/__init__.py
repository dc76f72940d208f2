from handlers.applications import admin_web, portal, web
from handlers.applications.bus import router
from handlers.applications.cli import procedure
from handlers.applications.records import keep_keys_current
from handlers.room import Room

room = Room(
    name="applications",
    routers=[router],
    routes=[*web.routes, *portal.routes, *admin_web.routes],
    commands=[procedure],
    tasks=[keep_keys_current],
)
