from handlers.privacy.cli import keys, privacy_report
from handlers.privacy.expiry import follow_scan_expiry
from handlers.room import Room

room = Room(name="privacy", commands=[keys, privacy_report], tasks=[follow_scan_expiry])
