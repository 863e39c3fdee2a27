"""The PostgreSQL backend: a psycopg2 connection from the dbt postgres target's credentials.

Product SQL is written with `?` placeholders (DuckDB's style); `Connection.execute` turns them into psycopg2's `%s`.
PostgreSQL serialises writers itself, so there is no file lock and no Airflow pool.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

NAME = "postgres"
PARAMSTYLE = "format"
TYPES = {
    "text": "text",
    "bigint": "bigint",
    "integer": "integer",
    "double": "double precision",
    "timestamptz": "timestamptz",
    "text[]": "text[]",
    "serial": "bigserial",
}
SERIALISE_WRITERS = False


def to_format_style(sql: str) -> str:
    """`?` placeholders outside quotes -> `%s`, and literal `%` doubled (psycopg2's format style)."""
    out: list[str] = []
    quote: str | None = None
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
            out.append("%%" if ch == "%" else ch)
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


class Cursor:
    """psycopg2's cursor, answering like DuckDB's: a statement without a result set (INSERT, DELETE, DDL) fetches
    one row holding the number of rows it touched."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    @property
    def description(self) -> Any:
        return self.raw.description

    def fetchone(self) -> Any:
        return self.raw.fetchone() if self.raw.description is not None else (self.raw.rowcount,)

    def fetchall(self) -> list[Any]:
        return self.raw.fetchall() if self.raw.description is not None else [(self.raw.rowcount,)]


class Connection:
    """The small surface dango uses on both backends: `execute(sql, params)` -> cursor, `executemany`, `close`."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor:
        cur = self.raw.cursor()
        if params:
            cur.execute(to_format_style(sql), tuple(params))
        else:  # no parameters: psycopg2 sends the text as is (a literal `%` stays single)
            cur.execute(sql)
        return Cursor(cur)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        cur = self.raw.cursor()
        cur.executemany(to_format_style(sql), [tuple(r) for r in rows])
        return cur

    def close(self) -> None:
        self.raw.close()


def connect_kwargs(credentials: dict[str, Any]) -> dict[str, Any]:
    """psycopg2 keyword arguments from a dbt postgres target (`dbname` or `database`, `pass` or `password`)."""
    kwargs = {
        "host": credentials.get("host"),
        "port": int(credentials.get("port") or 5432),
        "user": credentials.get("user"),
        "password": credentials.get("password", credentials.get("pass")),
        "dbname": credentials.get("dbname") or credentials.get("database"),
        "connect_timeout": int(credentials.get("connect_timeout") or 10),
    }
    if credentials.get("sslmode"):
        kwargs["sslmode"] = credentials["sslmode"]
    return {k: v for k, v in kwargs.items() if v is not None}


MIN_SERVER_VERSION = 140000  # PostgreSQL 14: what the dango_monitors macros are tested on (see `dango validate`)


def describe(credentials: dict[str, Any]) -> str:
    """`postgres user@host:port/dbname`, for people: never the password."""
    k = connect_kwargs(credentials)
    return f"postgres {k.get('user')}@{k.get('host')}:{k.get('port')}/{k.get('dbname')}"


def connect_raw(credentials: dict[str, Any]) -> Any:
    """A psycopg2 connection, or WarehouseUnreachableError in one line naming the target."""
    import psycopg2

    from airflow_provider_dango.warehouse.target import WarehouseUnreachableError

    try:
        return psycopg2.connect(**connect_kwargs(credentials))
    except psycopg2.OperationalError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        password = connect_kwargs(credentials).get("password")
        if password:
            reason = reason.replace(str(password), "***")
        raise WarehouseUnreachableError(f"cannot connect to the warehouse {describe(credentials)}: {reason}") from None


def server_version(credentials: dict[str, Any]) -> tuple[int, str]:
    """(server_version_num, server_version) of the server."""
    with open_connection(credentials, read_only=True) as con:
        sql = "SELECT current_setting('server_version_num')::int, current_setting('server_version')"
        num, text = con.execute(sql).fetchone()
    return int(num), str(text)


@contextmanager
def open_connection(credentials: dict[str, Any], read_only: bool = False) -> Iterator[Connection]:
    raw = connect_raw(credentials)
    raw.autocommit = True  # explicit BEGIN / COMMIT where a transaction is wanted, as on DuckDB
    if read_only:
        raw.cursor().execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    con = Connection(raw)
    try:
        yield con
    finally:
        con.close()


def file_lock(*_: Any, **__: Any) -> Any:
    return nullcontext()


def hours_since(timestamp_sql: str) -> str:
    """SQL: hours from a timestamp expression to now (a `timestamp` without zone is taken as UTC)."""
    return f"extract(epoch from (now() - cast({timestamp_sql} as timestamptz))) / 3600.0"


def hours_since_epoch(seconds_sql: str) -> str:
    """SQL: hours from a Unix time in seconds (a number) to now."""
    return f"(extract(epoch from now()) - {seconds_sql}) / 3600.0"


def dlt_destination(credentials: dict[str, Any]) -> Any:
    import dlt

    k = connect_kwargs(credentials)
    return dlt.destinations.postgres(
        credentials={
            "database": k.get("dbname"),
            "username": k.get("user"),
            "password": k.get("password"),
            "host": k.get("host"),
            "port": k.get("port"),
        }
    )
