"""Persistence: SQLModel tables, engines, migrations, and store <-> scenario snapshots."""
