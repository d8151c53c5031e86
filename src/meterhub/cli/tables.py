"""Tables that fit the terminal: a wide table when it fits, else one block of ``field  value`` lines per row.

A table of ten columns squeezed into 80 columns wraps every cell into unreadable slivers; so
:func:`print_records` measures the table first and, when it is wider than the terminal (``$COLUMNS``), prints
each row as a short vertical record under a rule that names it, leaving out empty fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from rich.table import Table


@dataclass(frozen=True)
class Column:
    """A column: its header, alignment, and whether it names the row (shown in the record's rule)."""

    name: str
    justify: str = "left"
    heading: bool = False


@dataclass(frozen=True)
class Row:
    cells: Sequence[str]
    style: str | None = None


def print_records(
    console: Console, title: str, columns: Sequence[Column], rows: Sequence[Row], *, caption: str | None = None
) -> None:
    """Print ``rows`` as one table, or as vertical records when the table would not fit the terminal."""
    table = Table(title=title, caption=caption)
    for col in columns:
        table.add_column(col.name, justify="right" if col.justify == "right" else "left")
    for row in rows:
        table.add_row(*row.cells, style=row.style)
    natural = console.measure(table, options=console.options.update_width(1 << 16)).maximum
    if natural <= console.width:
        console.print(table)
        return
    console.print(f"[bold]{escape(title)}[/bold]", highlight=False)
    for row in rows:
        named = [cell for col, cell in zip(columns, row.cells, strict=False) if col.heading and cell]
        console.print(Rule(escape(" · ".join(named)), align="left", style=row.style or "dim"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        for col, cell in zip(columns, row.cells, strict=False):
            if cell and not col.heading:
                grid.add_row(col.name, cell, style=row.style)
        console.print(grid)
    if caption:
        console.print(f"[dim]{escape(caption)}[/dim]", highlight=False)


__all__ = ["Column", "Row", "print_records"]
