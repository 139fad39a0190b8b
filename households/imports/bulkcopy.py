"""Fast inserts on PostgreSQL: ``COPY ... FROM STDIN`` for new records and their history rows.

Django's ``bulk_create`` spends most of its time compiling values in Python (about two thirds of a
first import); COPY takes plain text. Primary keys are reserved from the table's sequence first,
so the caller knows each new record's id, and the history rows (``simple_history``'s table, the
same shape as ``bulk_history_create`` writes) go in with the same COPY. Only used on PostgreSQL;
other databases take the ``bulk_create_with_history`` path.
"""

from __future__ import annotations

import datetime
import io
import json

from django.db import connection, models

_NULL = "\\N"


def available() -> bool:
    return connection.vendor == "postgresql"


def _escape(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _serializer(field: models.Field):
    if isinstance(field, models.JSONField):
        return lambda v: _NULL if v is None else _escape(json.dumps(v, ensure_ascii=False))
    if isinstance(field, models.BooleanField):
        return lambda v: _NULL if v is None else ("t" if v else "f")
    if isinstance(field, (models.DateTimeField, models.DateField)):
        return lambda v: _NULL if v is None else v.isoformat()
    if isinstance(field, (models.IntegerField, models.ForeignKey, models.AutoField)):
        return lambda v: _NULL if v is None else str(int(v))
    return lambda v: _NULL if v is None else _escape(str(v))


def _defaults(model, now: datetime.datetime) -> dict:
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values[field.attname] = now
        elif field.has_default():
            values[field.attname] = field.get_default()
        elif field.null:
            values[field.attname] = None
        else:
            values[field.attname] = ""
    return values


def reserve_ids(model, count: int) -> list[int]:
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
        )
        return [row[0] for row in cursor.fetchall()]


def _copy(table: str, columns: list[str], lines: io.StringIO) -> None:
    lines.seek(0)
    quoted = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.copy_expert(f'COPY "{table}" ({quoted}) FROM STDIN', lines)


def insert_with_history(model, rows: list[dict], *, user_id, reason: str, now: datetime.datetime) -> list[int]:
    """Insert ``rows`` (attname -> value; missing fields take their defaults) and one ``+`` history
    row each; return the new primary keys in order."""
    if not rows:
        return []
    ids = reserve_ids(model, len(rows))
    defaults = _defaults(model, now)
    fields = [f for f in model._meta.concrete_fields]
    columns = [f.column for f in fields]
    serializers = [_serializer(f) for f in fields]
    names = [f.attname for f in fields]
    pk_name = model._meta.pk.attname

    history = model.history.model
    history_fields = [f for f in history._meta.concrete_fields if f.attname != "history_id"]
    history_columns = [f.column for f in history_fields]
    history_serializers = [_serializer(f) for f in history_fields]
    history_names = [f.attname for f in history_fields]
    extra = {"history_date": now, "history_change_reason": reason, "history_type": "+", "history_user_id": user_id}

    main, past = io.StringIO(), io.StringIO()
    for pk, values in zip(ids, rows):
        record = dict(defaults)
        record.update(values)
        record[pk_name] = pk
        main.write("\t".join(s(record[n]) for s, n in zip(serializers, names)))
        main.write("\n")
        record.update(extra)
        past.write("\t".join(s(record.get(n)) for s, n in zip(history_serializers, history_names)))
        past.write("\n")
    _copy(model._meta.db_table, columns, main)
    _copy(history._meta.db_table, history_columns, past)
    return ids


def update_with_history(model, objects: list, field_names: list[str], *, user_id, reason: str, now: datetime.datetime) -> None:
    """Update ``field_names`` of ``objects`` (full instances) in one statement through a temporary
    table filled by COPY, and write one ``~`` history row each."""
    if not objects:
        return
    fields = list(model._meta.concrete_fields)
    names = [f.attname for f in fields]
    serializers = [_serializer(f) for f in fields]
    updated = {model._meta.get_field(name).column for name in field_names}
    table = model._meta.db_table
    temp = f"import_update_{table}"
    rows = io.StringIO()
    records = []
    for obj in objects:
        record = {name: getattr(obj, name) for name in names}
        records.append(record)
        rows.write("\t".join(s(record[n]) for s, n in zip(serializers, names)))
        rows.write("\n")
    pk_column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TEMPORARY TABLE "{temp}" (LIKE "{table}") ON COMMIT DROP')
    _copy(temp, [f.column for f in fields], rows)
    assignments = ", ".join(f'"{c}" = s."{c}"' for c in sorted(updated))
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE "{table}" AS t SET {assignments} FROM "{temp}" AS s WHERE t."{pk_column}" = s."{pk_column}"')
        cursor.execute(f'DROP TABLE "{temp}"')
    history = model.history.model
    history_fields = [f for f in history._meta.concrete_fields if f.attname != "history_id"]
    history_serializers = [_serializer(f) for f in history_fields]
    history_names = [f.attname for f in history_fields]
    extra = {"history_date": now, "history_change_reason": reason, "history_type": "~", "history_user_id": user_id}
    past = io.StringIO()
    for record in records:
        record.update(extra)
        past.write("\t".join(s(record.get(n)) for s, n in zip(history_serializers, history_names)))
        past.write("\n")
    _copy(history._meta.db_table, [f.column for f in history_fields], past)
