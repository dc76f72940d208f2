"""Pure logic more than one room needs (upload checks, field normalisation, 和暦 and Japan
time): no I/O, no room imported. Rooms import this, never each other's modules for it."""
