from functools import partial

from handlers.ops import web
from handlers.ops.backup import backup, restore
from handlers.ops.cli import creds, tls
from handlers.ops.dlq import dlq
from handlers.room import Room, Services, Wired


def wire(services: Services) -> Wired:
    connection = services.broker.connection
    bus = web.Bus(connection, services.js, services.store_limit)
    return Wired(routes=web.routes(bus), tasks=[partial(web.follow_store_refusals, connection)])


room = Room(name="ops", commands=[creds, tls, dlq, backup, restore], wire=wire)
