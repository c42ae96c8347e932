"""Storage: sessions, turns, grades and calibration ratings behind one seam.

    store = open_store()                       # MOCKPANEL_DB, else the user's data directory (SQLite)
    store = open_store("sqlite:///path/mockpanel.db")
    store = open_store("postgresql://mockpanel@db.internal/mockpanel")   # a team's shared database

Both backends implement `simulator.storage.records.Store` and run their own numbered migrations.
"""

from __future__ import annotations

from simulator.storage.records import (
    LOCAL_USER,
    CalibrationRating,
    GradeRecord,
    SessionRow,
    Store,
    StoreError,
    now_iso,
    versions_key,
)

__all__ = ["LOCAL_USER", "CalibrationRating", "GradeRecord", "SessionRow", "Store", "StoreError", "lease_holder", "now_iso",
           "open_store", "versions_key"]


def lease_holder() -> str:
    """A name for one writer of a session (this host, this process, a token): see Store.acquire."""
    from simulator.storage.sql import lease_holder as make

    return make()


def open_store(url: str | None = None) -> Store:
    """The store a URL names: `postgresql://` or `postgres://` for PostgreSQL, anything else SQLite
    (a path, `sqlite:///path` or `:memory:`). None: the settings' database."""
    if url is None:
        from simulator.core.settings import get_settings

        url = get_settings().db
    if url.startswith(("postgresql://", "postgres://")):
        from simulator.storage.postgres import PostgresStore

        return PostgresStore(url)
    from simulator.storage.sqlite import Store as SQLiteStore

    return SQLiteStore(url)
