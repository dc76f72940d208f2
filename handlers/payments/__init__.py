from handlers.payments.reconcile import reconcile_forever
from handlers.payments.web import routes
from handlers.room import Room

room = Room(name="payments", routes=routes, tasks=[reconcile_forever])
