"""`flask articles import` and `flask demo load`."""

from __future__ import annotations

import click


@click.group(help="Manage articles.")
def articles() -> None:
    pass


@click.group(help="The bundled demo article.")
def demo() -> None:
    pass
