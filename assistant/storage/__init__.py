"""SQL storage (SQLite or PostgreSQL): the engine and the feedback store."""
