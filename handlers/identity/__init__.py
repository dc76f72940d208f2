from handlers.identity.cli import org, user
from handlers.identity.web import routes
from handlers.room import Room

room = Room(name="identity", routes=routes, commands=[org, user])
