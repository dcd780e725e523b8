"""For tests that write raw rows themselves: persons named by readable keys ("pA01")."""

from __future__ import annotations

import duckdb


class PersonNumbers:
    """person_key -> person_id, numbered as the keys first appear, as ingestion numbers
    them; `write` keeps them in raw.person_keys, where dbt turns person_id back into the
    key (the readable key is what the marts then publish as person_key)."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def __call__(self, key: str | None) -> int | None:
        return None if key is None else self.numbers.setdefault(key, len(self.numbers) + 1)

    def write(self, con: duckdb.DuckDBPyConnection) -> None:
        con.executemany("insert into raw.person_keys (person_id, person_key) values (?, ?)",
                        [(number, key) for key, number in self.numbers.items()])
