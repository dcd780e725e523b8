"""Check digits of resident IDs (GB 11643-1999) and credit codes (GB 32100-2015),
the 15 -> 18 digit upgrade, and the pseudonymous person key.

Two forms of each check: numpy for the generator (arrays of digits), polars expressions
for ingestion (columns of text). Both are vectorised; python-stdnum checks them in tests.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

import numpy as np
import polars as pl

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK_CHARS = "10X98765432"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array(
    [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64
)
# GB 11714 organisation code (USCC positions 9-17): weights and check character.
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)

_FULL_WIDTH = "０１２３４５６７８９ＸｘＥｅ＋－．"
_HALF_WIDTH = "0123456789XxEe+-."


# ---------------------------------------------------------------- numpy (generator)

def id_check_chars(body17: np.ndarray) -> np.ndarray:
    """Check characters for an (n, 17) array of ID digits."""
    index = (body17.astype(np.int64) @ ID_WEIGHTS) % 11
    return np.array(list(ID_CHECK_CHARS))[index]


def uscc_check_chars(body17: np.ndarray) -> np.ndarray:
    """Check characters for an (n, 17) array of USCC alphabet indexes."""
    index = (31 - (body17.astype(np.int64) @ USCC_WEIGHTS) % 31) % 31
    return np.array(list(USCC_ALPHABET))[index]


def org_code_check_chars(body8: np.ndarray) -> np.ndarray:
    """GB 11714 check characters (0-9 or X) for an (n, 8) array of alphanumeric indexes."""
    value = 11 - (body8.astype(np.int64) @ ORG_WEIGHTS) % 11
    chars = np.array(list("0123456789X0"))  # 10 -> X, 11 -> 0
    return chars[value]


# ---------------------------------------------------------------- polars (ingestion)

def clean_id(expr: pl.Expr) -> pl.Expr:
    """Strip every space, map full-width characters to half-width, upper-case the X."""
    return (
        expr.str.replace_all(r"[\s\u3000]", "")
        .str.replace_many(list(_FULL_WIDTH), list(_HALF_WIDTH))
        .str.to_uppercase()
    )


def _id_check_series(body17: pl.Series) -> pl.Series:
    """Check characters of a Series of 17-digit texts (null where not 17 ASCII digits).

    The rows of 17 ASCII digits are joined into one byte string and viewed as an (n, 17)
    array of digits: one matrix product, no per-row or per-digit text work."""
    digits17 = body17.str.contains(r"^[0-9]{17}$").fill_null(False)
    checks = pl.repeat(None, len(body17), dtype=pl.String, eager=True)
    rows = digits17.arg_true()
    if not len(rows):
        return checks
    text = body17.gather(rows).str.join("").item()
    digits = (np.frombuffer(text.encode("ascii"), dtype=np.uint8).reshape(-1, 17) - ord("0")).astype(np.int64)
    chars = pl.Series((digits @ ID_WEIGHTS) % 11).replace_strict(
        list(range(11)), list(ID_CHECK_CHARS), return_dtype=pl.String
    )
    return chars if len(rows) == len(body17) else checks.scatter(rows, chars)


def cleaned_where_needed(values: pl.Series, clean: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """clean() applied to the values that hold anything but ASCII digits and capitals; the
    rest (nearly all) are returned as they are, which clean_id and NFKC leave them anyway."""
    dirty = values.str.contains(r"[^0-9A-Z]").fill_null(False)
    if not dirty.any():
        return values
    rows = dirty.arg_true()
    fixed = values.gather(rows).to_frame("value").select(clean(pl.col("value"))).to_series()
    return values.clone().scatter(rows, fixed)


def _normalise_id_series(ids: pl.Series) -> pl.Series:
    cleaned = cleaned_where_needed(ids, clean_id)
    fifteen = cleaned.str.contains(r"^[0-9]{15}$").fill_null(False)
    if not fifteen.any():
        return cleaned
    rows = fifteen.arg_true()
    short = cleaned.gather(rows)
    body17 = short.str.slice(0, 6) + "19" + short.str.slice(6, 9)
    return cleaned.clone().scatter(rows, body17 + _id_check_series(body17))


def normalise_id(expr: pl.Expr) -> pl.Expr:
    """Cleaned, 15-digit IDs upgraded to 18 digits, else as cleaned (validity is separate)."""
    return expr.map_batches(_normalise_id_series, return_dtype=pl.String)


_ID_CHECK_BYTES = np.frombuffer(ID_CHECK_CHARS.encode("ascii"), dtype=np.uint8)


def _id_valid_series(ids: pl.Series) -> pl.Series:
    """True for 18 ASCII characters: 17 digits and their check character.

    The 18-byte values are joined into one byte string and viewed as an (n, 18) array, as in
    _id_check_series; a value with any other byte than a digit (non-ASCII included) fails
    the digit test or the check-character comparison."""
    valid = np.zeros(len(ids), dtype=bool)
    rows = (ids.str.len_bytes() == 18).fill_null(False).arg_true()
    if len(rows):
        text = ids.gather(rows).str.join("").item().encode("utf-8")
        codes = np.frombuffer(text, dtype=np.uint8).reshape(-1, 18)
        body = codes[:, :17] - ord("0")  # uint8: bytes below '0' wrap round to large values
        expected = _ID_CHECK_BYTES[(body.astype(np.int64) @ ID_WEIGHTS) % 11]
        valid[rows.to_numpy()] = (body <= 9).all(axis=1) & (codes[:, 17] == expected)
    return pl.Series(valid)


def id_is_valid(normalised: pl.Expr) -> pl.Expr:
    """An 18-character ID whose first 17 are digits and whose check character is right."""
    return normalised.map_batches(_id_valid_series, return_dtype=pl.Boolean)


def birth_date_from_id(normalised: pl.Expr) -> pl.Expr:
    return normalised.str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d", strict=False)


def gender_from_id(normalised: pl.Expr) -> pl.Expr:
    """男 when digit 17 is odd, 女 when even."""
    digit = normalised.str.slice(16, 1).cast(pl.Int64, strict=False)
    return pl.when(digit % 2 == 1).then(pl.lit("男")).when(digit.is_not_null()).then(pl.lit("女"))


def uscc_check_char(body17: pl.Expr) -> pl.Expr:
    codes = {c: i for i, c in enumerate(USCC_ALPHABET)}
    total = pl.sum_horizontal(
        body17.str.slice(i, 1).replace_strict(codes, default=None, return_dtype=pl.Int64) * int(w)
        for i, w in enumerate(USCC_WEIGHTS)
    )
    index = (31 - total % 31) % 31
    return index.replace_strict(list(range(31)), list(USCC_ALPHABET), default=None)


def uscc_is_valid(expr: pl.Expr) -> pl.Expr:
    """18 characters of the USCC alphabet (first 8 digits) with the right check character."""
    code = clean_id(expr)
    return (
        code.str.contains(r"^[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}$")
        & (code.str.slice(17, 1) == uscc_check_char(code.str.slice(0, 17)))
    ).fill_null(False)


# ---------------------------------------------------------------- person key

class KeyedHasher:
    """HMAC-SHA256(secret, value) in hex, computed once per distinct value for as long as
    the hasher lives: a refresh reads the same IDs in 60 ledgers, 10 snapshots and 5
    surveys, and hashes each of them once.

    Numbered (`numbers` given: person_key -> person_id, as raw.person_keys holds them), it
    returns the value's person_id instead: the number its key already has, else the next
    one after the largest, assigned once for as long as the hasher lives (`issued` lists
    them). The raw tables store that number, not the 64-character key: per row it is 4
    bytes to gather, insert and join instead of 64 (benchmarks/RESULTS.md). A new value's
    key is looked up among the given numbers, not among the ones this hasher gave: those
    belong to values it has seen, which it finds as seen (only the collision lookup,
    which remembers no values, looks among them too). A join on a million keys costs about
    0.16 s of CPU; a first load, with no numbers given, would pay it for every file.

    Values already seen are found by a join on a 64-bit hash of the text (cheap), then
    confirmed by comparing the texts themselves, so a hash collision can never give one
    person another's key. New values are keyed in bulk by DuckDB's sha256 (RFC 2104),
    about three times as fast per value as Python's `hmac`.

    Thread-safe: ingestion's workers key their files with one hasher, one call at a time."""

    def __init__(self, secret: bytes, numbers: pl.DataFrame | None = None):
        self._secret = secret
        self._lock = threading.Lock()
        self._numbered = numbers is not None
        self._given = NO_NUMBERS if numbers is None else numbers.select(
            pl.col("person_key").cast(pl.String), pl.col("person_id").cast(pl.Int32))
        self._next = (self._given.get_column("person_id").max() or 0) + 1
        self._known = pl.DataFrame(schema={"_h": pl.UInt64, "_value": pl.String,
                                           "key": pl.Int32 if self._numbered else pl.String})
        self._issued: list[pl.DataFrame] = []  # person_key, person_id of the keys this hasher numbered
        self._issued_exactly: list[pl.DataFrame] = []  # those given by _exact

    def __call__(self, values: pl.Series) -> pl.Series:
        with self._lock:
            return self._keys(values)

    def _keys(self, values: pl.Series) -> pl.Series:
        frame = values.rename("value").to_frame().with_columns(_h=pl.col("value").hash())
        found = frame.join(self._known, on="_h", how="left", maintain_order="left")
        if len(found) != len(frame) or not found.select((pl.col("_value") == pl.col("value")).all()).item():
            return self._exact(values)  # a 64-bit hash collision: look up by the texts themselves
        keys = found.select(pl.when(pl.col("value").is_not_null()).then(pl.col("key"))).to_series()
        new = found.filter(pl.col("value").is_not_null() & pl.col("key").is_null()).get_column("value").unique()
        if not len(new):
            return keys
        hashes = new.hash()
        if hashes.n_unique() != len(hashes) or hashes.is_in(self._known.get_column("_h").implode()).any():
            return self._exact(values)
        added = pl.DataFrame({"_h": hashes, "_value": new, "key": self._issue(new, self._issued_exactly)})
        self._known = pl.concat([self._known, added], rechunk=False)
        return keys.fill_null(values.replace_strict(new, added.get_column("key"), default=None))

    def _issue(self, distinct: pl.Series, given_here: list[pl.DataFrame], exactly: bool = False) -> pl.Series:
        """The keys (or numbers) of distinct values, none null. A key's number is looked up
        in the given numbers and `given_here` (numbers this hasher gave, as far as the values
        may have had them); a key without one gets the next."""
        keys = hmac_hex(self._secret, distinct).rename("person_key")
        if not self._numbered:
            return keys
        lookup = [f for f in (self._given, *given_here) if f.height]
        numbered = (keys.to_frame().join(pl.concat(lookup), on="person_key", how="left", maintain_order="left")
                    if lookup else keys.to_frame().with_columns(person_id=pl.lit(None, dtype=pl.Int32)))
        # the keys without a number get the next ones, in their order (every number given
        # before is below self._next)
        missing = pl.col("person_id").is_null()
        numbered = numbered.with_columns(person_id=pl.when(missing).then(
            (missing.cum_sum() + (self._next - 1)).cast(pl.Int32)).otherwise(pl.col("person_id")))
        fresh = numbered.filter(pl.col("person_id") >= self._next)
        if fresh.height:
            self._next += fresh.height
            self._issued.append(fresh)
            if exactly:
                self._issued_exactly.append(fresh)
        return numbered.get_column("person_id")

    def issued(self) -> pl.DataFrame:
        """A numbered hasher's new keys (not in `numbers`), once each, with the person_id
        each was given."""
        if not self._numbered:
            raise TypeError("issued(): only a numbered hasher records the keys it gives")
        with self._lock:
            return pl.concat([NO_NUMBERS, *self._issued]).unique("person_key", maintain_order=True)

    def _exact(self, values: pl.Series) -> pl.Series:
        distinct = values.drop_nulls().unique()
        keys = pl.DataFrame({"value": distinct, "key": self._issue(distinct, self._issued, exactly=True)})
        return values.rename("value").to_frame().join(keys, on="value", how="left", maintain_order="left").get_column("key")


NO_NUMBERS = pl.DataFrame(schema={"person_key": pl.String, "person_id": pl.Int32})  # numbered, none given


def hmac_hex(secret: bytes, values: pl.Series) -> pl.Series:
    """HMAC-SHA256(secret, value) in hex for each value (null stays null), in DuckDB."""
    import duckdb

    block = 64  # SHA-256's block size (RFC 2104): longer secrets are hashed first
    key = (hashlib.sha256(secret).digest() if len(secret) > block else secret).ljust(block, b"\0")
    inner, outer = bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)
    texts = values.cast(pl.String).rename("v").to_frame()  # noqa: F841 (read by DuckDB below)
    con = duckdb.connect()
    try:
        out = con.sql(
            "select case when v is not null then sha256($outer || unhex(sha256($inner || encode(v)))) end as key "
            "from texts",
            params={"outer": outer, "inner": inner},
        ).pl()
    finally:
        con.close()
    return out.get_column("key").alias(values.name)


def keyed_hash(secret: bytes, values: pl.Series) -> pl.Series:
    """HMAC-SHA256(secret, value) in hex, one HMAC per distinct value."""
    return KeyedHasher(secret)(values)
