from handlers.privacy.cli import keys
from handlers.privacy.expiry import follow_scan_expiry
from handlers.room import Room

room = Room(name="privacy", commands=[keys], tasks=[follow_scan_expiry])
