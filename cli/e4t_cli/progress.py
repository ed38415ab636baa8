"""A progress bar on stderr for a long-running operation."""

from __future__ import annotations

from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import e4t
from e4t_cli.output import stderr


def wait_with_progress(
    operation: e4t.Operation[Any], *, timeout: float | None, description: str
) -> e4t.OperationSnapshot:
    """Waits for `operation`, drawing its steps on stderr, and returns its last snapshot."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=stderr(), transient=False) as bar:
        task = bar.add_task(description, total=None, status="")

        def show(snapshot: e4t.OperationSnapshot) -> None:
            total = snapshot.progress.steps_total or None
            bar.update(
                task,
                total=total,
                completed=snapshot.progress.steps_done,
                status=snapshot.progress.message or snapshot.state.value.lower(),
            )

        return operation.wait(timeout=timeout, progress=show)
