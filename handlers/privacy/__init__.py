from handlers.privacy.cli import keys
from handlers.room import Room

room = Room(name="privacy", commands=[keys])
