from handlers.identity import admin
from handlers.identity.cli import org, user
from handlers.identity.web import routes
from handlers.room import Room

room = Room(name="identity", routes=[*routes, *admin.routes], commands=[org, user])
