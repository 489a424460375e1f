"""Pure-Python domain logic. Nothing below this package may import Django."""
