"""Fast bulk writes on PostgreSQL: ``COPY ... FROM STDIN`` for records and their history rows.

A neutral database helper: the import writes households and members through it, the enrollment
services write large batches of enrollments through it. Django's ``bulk_create`` spends most of
its time compiling values in Python (about two thirds of a first import); COPY takes plain text.
Primary keys are reserved from the table's sequence first, so the caller knows each new record's
id, and the history rows (``simple_history``'s table, the same shape as ``bulk_history_create``
writes) go in with the same COPY. Only used on PostgreSQL; other databases take the
``bulk_create_with_history`` path.
"""

from __future__ import annotations

import datetime
import io
import json

from django.db import connection, models

from konut_registry.chunks import picker

_NULL = "\\N"


def available() -> bool:
    return connection.vendor == "postgresql"


def _escape(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _serialize_text(value) -> str:
    return _NULL if value is None else _escape(str(value))


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# The C encoder built once: ``JSONEncoder.encode`` builds a new one per call, which costs more than
# the encoding of a small dict (two per imported record). No circular check: the values are plain data.
_C_ENCODE = (
    json.encoder.c_make_encoder(
        None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
    if json.encoder.c_make_encoder is not None else None
)


def _JSON(value) -> str:
    """A JSON value as ``JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode`` writes it."""
    if not value and value.__class__ is dict:
        return "{}"
    if _C_ENCODE is None or value.__class__ is not dict:
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


def _raw_serializer(field: models.Field):
    """A non-None value to its COPY text, not yet escaped."""
    if isinstance(field, models.JSONField):
        return _JSON
    if isinstance(field, models.BooleanField):
        return lambda v: "t" if v else "f"
    if isinstance(field, (models.DateTimeField, models.DateField)):
        return lambda v: v.isoformat()
    if isinstance(field, (models.IntegerField, models.ForeignKey, models.AutoField)):
        return lambda v: str(int(v))
    return str


def _serializer(field: models.Field):
    """Any value (None included) to its escaped COPY text."""
    raw = _raw_serializer(field)
    if raw is str:
        return _serialize_text
    return lambda v: _NULL if v is None else _escape(raw(v))


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
        # The sequence looked up once (a scalar subquery), not once per id: a first import reserves
        # some 230,000 (records and history rows), and the lookups were three quarters of the work.
        cursor.execute(
            "SELECT nextval((SELECT pg_get_serial_sequence(%s, %s))::regclass) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


class _LineStream(io.TextIOBase):
    """A read-only text stream over an iterator of COPY lines. ``copy_expert`` reads it a block at
    a time, so PostgreSQL inserts one block while Python formats the next (two processes at work),
    and the whole text is never held in memory."""

    def __init__(self, lines):
        self._lines = iter(lines)
        self._buffer = ""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:
        if size is None or size < 0:
            text, self._buffer = self._buffer + "".join(self._lines), ""
            return text
        parts = [self._buffer]
        length = len(self._buffer)
        for line in self._lines:
            parts.append(line)
            length += len(line)
            if length >= size:
                break
        text = "".join(parts)
        self._buffer = text[size:]
        return text[:size]



_COPY_BLOCK = 256 * 1024


def _copy(table: str, columns: list[str], lines) -> None:
    """COPY ``lines`` (a StringIO, or an iterator of lines each ending in a newline) into ``table``."""
    if isinstance(lines, io.StringIO):
        lines.seek(0)
    else:
        lines = _LineStream(lines)
    quoted = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.copy_expert(f'COPY "{table}" ({quoted}) FROM STDIN', lines, _COPY_BLOCK)


def copy_text(value) -> str:
    """A value (None, a number or text) as COPY's text format reads it, escaped."""
    return _serialize_text(value)


def copy_lines(table: str, columns: list[str], lines) -> None:
    """COPY lines of values (each made with :func:`copy_text`, joined by tabs, ending in a newline)
    into ``table``: for a temporary table of the connection's own, where ``execute_values`` would
    spend its time formatting SQL in Python."""
    _copy(table, columns, lines)


class _Columns:
    """How the rows of one model become COPY lines: its columns (primary key first) and, per
    column, the attname, the raw serializer and the default for a value the row does not give.
    ``template`` is a row of defaults; ``slots`` places a given value: attname -> (position, raw
    serializer, whether the default is NULL)."""

    def __init__(self, fields, defaults: dict, pk_name: str):
        self.names = [pk_name]
        self.plan = []
        for field in fields:
            if field.attname == pk_name:
                continue
            serialize = _raw_serializer(field)
            default = defaults.get(field.attname)
            try:
                default_text = _NULL if default is None else serialize(default)
            except (TypeError, ValueError):
                default_text = _NO_DEFAULT  # a required number without default: every row gives one
            self.names.append(field.attname)
            self.plan.append((field.attname, serialize, default_text))
        self.template = [""] + [default for _, _, default in self.plan]
        self.template_nulls = sum(1 for _, _, default in self.plan if default is _NULL)
        self.required = [(index + 1, name) for index, (name, _, default) in enumerate(self.plan) if default is _NO_DEFAULT]
        self.slots = {name: (index + 1, serialize, default is _NULL) for index, (name, serialize, default) in enumerate(self.plan)}


_NO_DEFAULT = object()
_MISSING = object()


def _texts(columns: _Columns, pk: int, values: dict) -> tuple[list[str], int]:
    """The row's column texts, not escaped, and how many of them are NULL: the defaults' row with
    the values the row gives put in their places (a row gives fewer values than the model has)."""
    texts = columns.template.copy()
    texts[0] = str(pk)
    nulls = columns.template_nulls
    slot_of = columns.slots.get
    for name, value in values.items():
        slot = slot_of(name)
        if slot is None:
            continue
        index, serialize, default_null = slot
        if value is None:
            if not default_null:
                nulls += 1
            texts[index] = _NULL
            continue
        if default_null:
            nulls -= 1
        texts[index] = value if serialize is str and value.__class__ is str else serialize(value)
    for index, name in columns.required:
        if texts[index] is _NO_DEFAULT:
            raise ValueError(f"{name}: no value and no default")
    return texts, nulls


def _escaped(columns: _Columns, pk: int, values: dict) -> list[str]:
    """The slow path for a row whose text holds a tab, newline, carriage return or backslash."""
    texts = [str(pk)]
    for name, serialize, default in columns.plan:
        value = values.get(name, _MISSING)
        if value is _MISSING:
            if default is _NO_DEFAULT:
                raise ValueError(f"{name}: no value and no default")
            texts.append(default if default is _NULL else _escape(default))
        elif value is None:
            texts.append(_NULL)
        else:
            texts.append(_escape(serialize(value)))
    return texts


def _encode(columns: _Columns, ids, rows, history_index: list[int] | None, history_tail: str, history_lines: list):
    """Yield each row's COPY line; append its history line (the same texts in the history
    table's column order, then the fixed history columns) to ``history_lines``. A row's texts are
    escaped only when the joined line shows a character that needs it (rare), checked once per line."""
    width = len(columns.names) - 1
    history_texts = None
    if history_index is not None:
        # The history texts picked in one C call (a tuple, whatever the number of columns).
        history_texts = picker(history_index)
    for pk, values in zip(ids, rows):
        texts, nulls = _texts(columns, pk, values)
        line = "\t".join(texts)
        if line.count("\t") != width or line.count("\\") != nulls or "\n" in line or "\r" in line:
            texts = _escaped(columns, pk, values)
            line = "\t".join(texts)
        if history_texts is not None:
            history_lines.append("\t".join(history_texts(texts)) + history_tail)
        yield line + "\n"


def insert_with_history(
    model, rows, *, user_id, reason: str | None, now: datetime.datetime, count: int | None = None
) -> list[int]:
    """Insert ``rows`` (attname -> value; missing fields take their defaults) and one ``+`` history
    row each; return the new primary keys in order. The history row repeats the record's texts, so
    each value is serialized once. ``rows`` may be an iterator giving ``count`` rows: each is then
    built while PostgreSQL writes the ones before it."""
    count = len(rows) if count is None else count
    if not count:
        return []
    ids = reserve_ids(model, count)
    pk_name = model._meta.pk.attname
    columns = _Columns(model._meta.concrete_fields, _defaults(model, now), pk_name)
    meta = model._meta

    history = model.history.model
    extra = {"history_date": now, "history_change_reason": reason, "history_type": "+", "history_user_id": user_id}
    position = {name: index for index, name in enumerate(columns.names)}
    history_index, history_columns, tail_columns, tail = [], [], [], []
    for field in history._meta.concrete_fields:
        if field.attname == "history_id":
            continue
        if field.attname in position and field.attname not in extra:
            history_index.append(position[field.attname])
            history_columns.append(field.column)
        else:
            tail_columns.append(field.column)
            tail.append(_serializer(field)(extra.get(field.attname)))
    history_tail = ("\t" + "\t".join(tail) if tail else "") + "\n"
    history_lines: list[str] = []
    _copy(
        meta.db_table, [meta.get_field(name).column for name in columns.names],
        _encode(columns, ids, rows, history_index, history_tail, history_lines),
    )
    _copy(history._meta.db_table, history_columns + tail_columns, history_lines)
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
    temp = f"bulkcopy_update_{table}"
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
