from handlers.ops.backup import backup, restore
from handlers.ops.cli import creds, tls
from handlers.ops.dlq import dlq
from handlers.ops.web import routes
from handlers.room import Room

room = Room(name="ops", routes=routes, commands=[creds, tls, dlq, backup, restore])
