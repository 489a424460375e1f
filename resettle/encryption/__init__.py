"""Encryption at rest for the most sensitive fields (keys live outside the database)."""
