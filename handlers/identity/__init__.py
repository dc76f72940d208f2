from handlers.identity import admin, web
from handlers.identity.cli import org, user
from handlers.identity.desk import AccountDesk
from handlers.identity.guard import Guard
from handlers.room import Room, Services, Wired


def staff_guard(services: Services) -> Guard:
    """The one check every room's staff routes are bound to."""
    return Guard(services.js, services.settings.zones_in_force, services.broker)


def wire(services: Services) -> Wired:
    desk = AccountDesk(
        services.accounts, services.js, services.settings.password, services.data_dir
    )
    guard = staff_guard(services)
    return Wired(routes=[*web.routes(desk, guard), *admin.routes(desk, guard)])


room = Room(name="identity", commands=[org, user], wire=wire)
