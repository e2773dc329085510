"""Database engine, session and declarative base.

A small layer of our own instead of Flask-SQLAlchemy: services use ``db.session``
(a scoped session removed at the end of each app context), the engine is made per
application, and the tests can bind the session to one connection and roll back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import g, request
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

UTC = dt.UTC
SQLITE_BUSY_TIMEOUT_MS = 30_000
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Set while a request that only reads runs: SQLite then begins its transactions deferred.
_reading_only: ContextVar[bool] = ContextVar("reading_only", default=False)


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC timestamp on every database.

    SQLite keeps no offset, so values are stored as naive UTC there and given back
    their UTC offset when read; a naive datetime is refused rather than guessed.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC timestamp is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


Money = sa.Numeric(16, 4)  # the largest ISO 4217 minor unit (see figures.py)
Hours = sa.Numeric(10, 2)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        Decimal: Money,
        dict[str, Any]: sa.JSON(),
        list[Any]: sa.JSON(),
    }


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; on SQLite every transaction that may write takes the write lock up front.

    SQLite upgrades a deferred transaction to a writer lazily and then fails at once
    with "database is locked" when another writer got there first; BEGIN IMMEDIATE
    waits for the lock instead (up to the busy timeout), so concurrent writers queue.
    Requests that only read (a safe method, or a view marked ``reads_only``) begin
    deferred: with WAL a reader reads its snapshot and never waits for the writers'
    lock, nor makes them wait. GET never writes (house rule), so it never needs the lock.
    """
    sa_url = make_url(normalise_database_url(url))
    if sa_url.get_backend_name() != "sqlite":
        return sa.create_engine(sa_url, pool_pre_ping=True, **kwargs)

    engine = sa.create_engine(
        sa_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN" if _reading_only.get() else "BEGIN IMMEDIATE")

    return engine


class Database:
    """The engine of the running application and the scoped session services use."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session = scoped_session(sessionmaker(expire_on_commit=False))

    def init_app(self, app: Any) -> None:
        self.session.remove()
        self.engine = make_engine(app.config["DATABASE_URL"])
        self.session.configure(bind=self.engine)
        app.extensions["database"] = self

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            self.session.remove()

        @event.listens_for(self.session, "before_flush")
        def _reads_do_not_write(session: Session, _context: Any, _instances: Any) -> None:
            # A request that began deferred could not wait for the write lock: a write in
            # it is a bug (GET never writes), so it fails here, in every test, not under load.
            if not _reading_only.get():
                return
            changed = any(session.is_modified(instance) for instance in session.dirty)
            if session.new or session.deleted or changed:
                raise RuntimeError(f"{request.method} {request.path} only reads, but it wrote")

        @app.before_request
        def _reads_begin_deferred() -> None:
            view = app.view_functions.get(request.endpoint or "")
            if request.method in SAFE_METHODS or getattr(view, "reads_only", False):
                g.reading_only_token = _reading_only.set(True)

        @app.teardown_request
        def _end_reading_only(_exc: BaseException | None) -> None:
            token = g.pop("reading_only_token", None)
            if token is not None:
                _reading_only.reset(token)

    @property
    def dialect(self) -> str:
        bind = self.session.get_bind()
        return bind.dialect.name


db = Database()


def reads_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view that never writes though its method is not a safe one (a dry run).

    Put it right under the route decorator: the mark must be on the function registered.
    """
    view.reads_only = True  # type: ignore[attr-defined]
    return view


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Commit what the block did, or roll all of it back if it raises.

    Re-entrant: a service called from inside another's unit joins it, and only the
    outermost unit commits, so one user action is one transaction.
    """
    session = db.session()
    depth = session.info.get("unit_depth", 0)
    session.info["unit_depth"] = depth + 1
    try:
        yield session
        if depth == 0:
            session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        session.info["unit_depth"] = depth
