"""The million-message benchmarks' shared arguments, and running one on SQLite and, when asked,
on a private, durable PostgreSQL beside it."""

from __future__ import annotations

import argparse
from typing import Callable


def dataset_arguments(parser: argparse.ArgumentParser) -> None:
    """bench/dataset.py's size (a million messages by default) and --postgresql."""
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument("--messages-per", type=int, default=5)
    parser.add_argument("--postgresql", action="store_true", help="also on a private PostgreSQL server")


def on_each_engine(args: argparse.Namespace, measure: Callable[[argparse.Namespace, str | None], dict],
                   database: str) -> list[dict]:
    """measure(args, None) on SQLite, then measure(args, url) on PostgreSQL if --postgresql."""
    results = [measure(args, None)]
    if args.postgresql:
        from tests.pgserver import PostgresServer

        pg = PostgresServer.start(durable=True)
        try:
            pg.execute(f"CREATE DATABASE {database}")
            results.append(measure(args, pg.url_for(database)))
        finally:
            pg.stop()
    return results
