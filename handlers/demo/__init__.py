"""`madoguchi demo`: a running system filled with example data, to see every screen at work."""

from handlers.demo.cli import demo
from handlers.room import Room

room = Room(name="demo", commands=[demo])
