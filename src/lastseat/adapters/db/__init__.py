"""The database adapter: tables, engine, unit of work and repositories, migrations."""
