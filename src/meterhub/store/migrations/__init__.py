"""Alembic migrations of the store schema, run programmatically by :meth:`meterhub.store.Store.upgrade`."""
