"""COPY exporters: a source's JSON lines written by PostgreSQL itself.

``copy_exporter(engine, query)`` turns the SQLAlchemy query a source already streams its records
with into an ``export_chunks`` hook (sources.DataSource): PostgreSQL serialises every row with
``row_to_json`` inside ``COPY (...) TO STDOUT``, and the chunks go to the archive's compressor as
they arrive, with no Python object per row. The lines are byte for byte those the plugin's own
encoder (archive_content.encode_record) writes for the same rows as SQLAlchemy returns them:
same key order (the query's labels), separators, escapes (UTF-8 kept, control characters as
``\\u00XX``), numbers, nulls, and times as ``datetime.isoformat()`` writes them (the fraction only
when there is one; ``+00:00`` for UTCDateTime columns). Column types that the database would
write differently (floats, numerics, JSON, anything a TypeDecorator changes in Python) are
refused when the exporter is made, naming the column: leave such a source on ``export``, or cast
the column in the query. No Flask in here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from .db import UTCDateTime
from .sources import Subject

#: bytes of JSON lines per chunk handed to the archive
CHUNK = 256 * 1024

#: a query of one subject's records: labelled columns, its filter and its order
Query = Callable[[Subject], sa.Select[Any]]

#: CSV with a quote and a delimiter byte that JSON text never holds (it escapes every control
#: character), so each line goes out verbatim; the text format would double its backslashes
_FORMAT = "WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"
_SECONDS = 'YYYY-MM-DD"T"HH24:MI:SS'
_TYPES_KEPT = (sa.Integer, sa.String, sa.Boolean, sa.Date)


def _literal(text: str) -> ColumnElement[str]:
    return sa.literal_column("'" + text.replace("'", "''") + "'", sa.Text)


def _iso(moment: ColumnElement[Any], offset: str = "") -> ColumnElement[str]:
    """``isoformat()`` of a timestamp: seconds, a six-digit fraction only when it is not zero,
    then ``offset`` (a to_char pattern; none for a naive time)."""
    whole = sa.func.date_trunc(_literal("second"), moment) == moment
    pattern = sa.case((whole, _literal(_SECONDS + offset)),
                      else_=_literal(_SECONDS + ".US" + offset))
    return sa.func.to_char(moment, pattern)


def _aware(moment: ColumnElement[Any]) -> ColumnElement[str]:
    """``isoformat()`` of an aware time in the session's time zone, as psycopg returns it:
    the offset's seconds too when it has some (local mean times before 1900)."""
    seconds = sa.cast(sa.extract("timezone", moment), sa.Integer) % 60
    padded = sa.func.lpad(sa.cast(sa.func.abs(seconds), sa.Text), 2, _literal("0"))
    return _iso(moment, "TZH:TZM") + sa.case((seconds == 0, _literal("")),
                                             else_=_literal(":") + padded)


def _rendered(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The column as PostgreSQL must write it for the JSON to match, or TypeError."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _iso(sa.func.timezone(_literal("UTC"), column), '"+00:00"')
    if isinstance(kind, sa.types.TypeDecorator):
        raise TypeError(f"column {column.name!r}: a {type(kind).__name__} may change values "
                        "in Python, which COPY cannot do")
    if isinstance(kind, sa.DateTime):
        return _aware(column) if kind.timezone else _iso(column)
    if (isinstance(kind, sa.Enum) and kind.enum_class is not None) or not isinstance(
            kind, _TYPES_KEPT):
        raise TypeError(f"column {column.name!r}: PostgreSQL writes {type(kind).__name__} "
                        "values otherwise than Python's json module (cast the column in the "
                        "query, or export this source record by record)")
    return column


def copy_statement(statement: sa.Select[Any]) -> sa.Select[Any]:
    """``statement`` with each column rendered as the JSON must show it (same labels)."""
    columns = []
    for column in statement.selected_columns:
        if not column.name:
            raise TypeError(f"every column of a COPY exporter's query needs a label "
                            f"({column!s} has none)")
        if len(column.name.encode()) > 63:  # PostgreSQL would cut the JSON key short
            raise TypeError(f"column {column.name!r}: a label of more than 63 bytes")
        columns.append(_rendered(column).label(column.name))
    return statement.with_only_columns(*columns, maintain_column_froms=True)


def copy_sql(statement: sa.Select[Any], dialect: sa.Dialect) -> tuple[str, dict[str, Any]]:
    """The COPY command writing ``statement``'s rows as JSON lines, and its parameters (psycopg
    binds them on the client: COPY takes none)."""
    compiled = copy_statement(statement).compile(dialect=dialect)
    return (f"COPY (SELECT row_to_json(t) FROM ({compiled}) AS t) TO STDOUT {_FORMAT}",  # noqa: S608  (a compiled statement; values are bound parameters)
            dict(compiled.params))


def copy_exporter(engine: sa.Engine, query: Query, chunk: int = CHUNK
                  ) -> Callable[[Subject], Iterator[bytes]] | None:
    """An ``export_chunks`` hook streaming ``query(subject)``'s rows as JSON lines through
    COPY, in chunks of about ``chunk`` bytes that end at a line end; None when ``engine`` is
    not PostgreSQL through psycopg 3 (the source then exports record by record). Raises
    TypeError at once for a column the database would write otherwise than Python."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return None
    copy_statement(query(Subject("")))  # refuses what COPY cannot write the same, now

    def export_chunks(subject: Subject) -> Iterator[bytes]:
        sql, params = copy_sql(query(subject), engine.dialect)
        with engine.connect() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None
            encoding = driver.info.encoding
            with driver.cursor() as cursor, cursor.copy(sql, params) as copy:
                # each block is one line in a buffer of its own (libpq's), kept alive by its
                # view: joining them is the one copy a line's bytes go through here
                blocks: list[bytes | memoryview] = []
                size = 0
                for block in copy:
                    blocks.append(block)
                    size += len(block)
                    if size >= chunk:
                        yield _utf8(b"".join(blocks), encoding)
                        blocks, size = [], 0
                if blocks:
                    yield _utf8(b"".join(blocks), encoding)

    return export_chunks


def _utf8(chunk: bytes, encoding: str) -> bytes:
    """The chunk as UTF-8 (what the connection sends unless its client_encoding says
    otherwise)."""
    return chunk if encoding == "utf-8" else chunk.decode(encoding).encode()
