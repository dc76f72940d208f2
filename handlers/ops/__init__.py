from handlers.ops.backup import backup, restore
from handlers.ops.cli import creds, tls
from handlers.ops.dlq import dlq
from handlers.ops.web import follow_store_refusals, routes
from handlers.room import Room

room = Room(
    name="ops",
    routes=routes,
    commands=[creds, tls, dlq, backup, restore],
    tasks=[follow_store_refusals],
)
