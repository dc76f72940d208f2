from handlers.privacy.cli import keys, privacy_report
from handlers.room import Room

room = Room(name="privacy", commands=[keys, privacy_report])
