"""The database side: engine, sessions, deadlines, failure causes, schema state, migrations."""
