"""Adapters: the database, payments and other things outside the domain."""
