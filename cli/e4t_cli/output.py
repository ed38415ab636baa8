"""Output: results on stdout (rich tables, or JSON with `--json`); messages on stderr."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

from rich.console import Console
from rich.table import Table


def stdout() -> Console:
    # Made per call so that the console writes to whatever sys.stdout is now (CliRunner swaps it).
    return Console(soft_wrap=True)


def stderr() -> Console:
    return Console(stderr=True, soft_wrap=True)


def jsonable(value: Any) -> Any:
    """Plain JSON values for SDK objects: dataclasses → objects, enums → names, times → ISO."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not isinstance(getattr(value, f.name), BaseException | bytes)
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    """Writes `value` to stdout as JSON (machine-readable, one document)."""
    stdout().print_json(json.dumps(jsonable(value)), indent=2)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def print_table(rows: Iterable[Any], columns: Sequence[str], *, title: str | None = None) -> None:
    """A rich table of `columns` (attribute names) of each row."""
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column.replace("_", " "), overflow="fold")
    for row in rows:
        table.add_row(*(_cell(getattr(row, column)) for column in columns))
    stdout().print(table)


def print_record(value: Any, *, title: str | None = None) -> None:
    """A two-column table of one object's fields."""
    table = Table(title=title, show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for field in dataclasses.fields(value):
        item = getattr(value, field.name)
        if isinstance(item, BaseException | bytes):
            continue
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            item = ", ".join(f"{k}={_cell(v)}" for k, v in jsonable(item).items())
        table.add_row(field.name.replace("_", " "), _cell(item))
    stdout().print(table)


def emit(value: Any, json_output: bool, *, title: str | None = None) -> None:
    """One result: JSON or a field table."""
    if json_output:
        print_json(value)
    else:
        print_record(value, title=title)


def emit_list(
    rows: Iterable[Any], json_output: bool, columns: Sequence[str], *, title: str | None = None
) -> None:
    """A list result: a JSON array or a table."""
    items = list(rows)
    if json_output:
        print_json(items)
    else:
        print_table(items, columns, title=title)


def message(text: str) -> None:
    """A human message on stderr, so that stdout stays parseable."""
    stderr().print(text)
