"""How the console's sources are built: each pairs one projection of a table (a list of
fields) with the JSON Schema of its records, and streams one subject's rows through the query
both exporters share (record by record, or as JSON lines PostgreSQL writes: copy_export)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from selfservice import Subject

#: rows fetched per round trip; PostgreSQL streams them through a server-side cursor
YIELD_PER = 2_000


@dataclass(frozen=True)
class Field:
    """One exported property: where it comes from and its JSON type."""

    name: str
    column: ColumnElement[Any]
    #: JSON Schema type: string, integer, boolean
    type: str
    description: str
    nullable: bool = False
    #: JSON Schema format ("date-time" values are exported as ISO 8601 with offset)
    format: str | None = None

    def schema(self) -> dict[str, Any]:
        prop: dict[str, Any] = {
            "type": [self.type, "null"] if self.nullable else self.type,
            "description": self.description,
        }
        if self.format:
            prop["format"] = self.format
        return prop


def time_field(name: str, column: ColumnElement[Any], description: str,
          nullable: bool = False) -> Field:
    return Field(name, column, "string", description, nullable, "date-time")


def record_schema(title: str, fields: Sequence[Field]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "properties": {f.name: f.schema() for f in fields},
        "required": [f.name for f in fields],
        "additionalProperties": False,
    }


def subject_query(fields: Sequence[Field], owner: ColumnElement[Any],
                  order_by: Sequence[ColumnElement[Any]], join: tuple[Any, ...] | None = None
                  ) -> Callable[[Subject], sa.Select[Any]]:
    """The query of one subject's rows, ``owner == subject.account_id``, one labelled column
    per field; both exporters of a source run it."""
    statement = sa.select(*(f.column.label(f.name) for f in fields))
    if join is not None:
        statement = statement.join_from(*join)

    def query(subject: Subject) -> sa.Select[Any]:
        return statement.where(owner == subject.account_id).order_by(*order_by)

    return query


def streaming_exporter(engine: sa.Engine, fields: Sequence[Field],
                       query: Callable[[Subject], sa.Select[Any]]
                       ) -> Callable[[Subject], Iterator[dict[str, Any]]]:
    """An exporter that streams one subject's rows as records."""
    names = [f.name for f in fields]
    times = [i for i, f in enumerate(fields) if f.format == "date-time"]

    def export(subject: Subject) -> Iterator[dict[str, Any]]:
        with engine.connect() as connection:
            result = connection.execution_options(
                stream_results=True, yield_per=YIELD_PER).execute(query(subject))
            for row in result:
                values = list(row)
                for i in times:
                    value: datetime | None = values[i]
                    if value is not None:
                        values[i] = value.isoformat()
                yield dict(zip(names, values, strict=True))

    return export


def counter(engine: sa.Engine, owner: ColumnElement[Any],
            join: tuple[Any, ...] | None = None) -> Callable[[Subject], int]:
    """How many records the exporter will stream for one subject (for progress bars)."""
    statement = sa.select(sa.func.count())
    statement = (statement.select_from(sa.join(*join[:2], join[2])) if join is not None
                 else statement.select_from(owner.table))

    def count(subject: Subject) -> int:
        with engine.connect() as connection:
            return int(connection.scalar(statement.where(owner == subject.account_id)) or 0)

    return count
