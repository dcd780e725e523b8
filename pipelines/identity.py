"""Check digits of resident IDs (GB 11643-1999) and credit codes (GB 32100-2015),
the 15 -> 18 digit upgrade, and the pseudonymous person key.

Two forms of each check: numpy for the generator (arrays of digits), polars expressions
for ingestion (columns of text). Both are vectorised; python-stdnum checks them in tests.
"""

from __future__ import annotations

import hashlib
import hmac

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


def _weighted_sum(expr: pl.Expr, weights) -> pl.Expr:
    return pl.sum_horizontal(
        expr.str.slice(i, 1).cast(pl.Int64, strict=False) * int(w) for i, w in enumerate(weights)
    )


def _id_check_series(body17: pl.Series) -> pl.Series:
    """Check characters of a Series of 17-digit texts (null where not 17 ASCII digits).

    The 17 digits fit an int64: one pass of integer arithmetic instead of 17 text slices,
    each evaluated once (an expression tree would recompute its shared inputs)."""
    digits17 = body17.str.contains(r"^[0-9]{17}$").fill_null(False)
    number = body17.cast(pl.Int64, strict=False).fill_null(0).to_numpy().copy()
    total = np.zeros(len(number), dtype=np.int64)
    for weight in ID_WEIGHTS[::-1]:
        total += (number % 10) * weight
        number //= 10
    index = pl.Series(total % 11, dtype=pl.Int64)
    chars = index.replace_strict(list(range(11)), list(ID_CHECK_CHARS), return_dtype=pl.String)
    return chars.zip_with(digits17, pl.Series([None] * len(chars), dtype=pl.String))


def id_check_char(body17: pl.Expr) -> pl.Expr:
    """The GB 11643 check character of 17 digits (null if they are not 17 digits)."""
    return body17.map_batches(_id_check_series, return_dtype=pl.String)


def _normalise_id_series(ids: pl.Series) -> pl.Series:
    cleaned = ids.to_frame("id").select(clean_id(pl.col("id"))).to_series()
    fifteen = cleaned.str.contains(r"^[0-9]{15}$").fill_null(False)
    if not fifteen.any():
        return cleaned
    body17 = cleaned.str.slice(0, 6) + "19" + cleaned.str.slice(6, 9)
    return (body17 + _id_check_series(body17)).zip_with(fifteen, cleaned)


def normalise_id(expr: pl.Expr) -> pl.Expr:
    """Cleaned, 15-digit IDs upgraded to 18 digits, else as cleaned (validity is separate)."""
    return expr.map_batches(_normalise_id_series, return_dtype=pl.String)


def id_is_valid(normalised: pl.Expr) -> pl.Expr:
    """An 18-character ID whose first 17 are digits and whose check character is right."""
    return (
        normalised.str.contains(r"^[0-9]{17}[0-9X]$")
        & (normalised.str.slice(17, 1) == id_check_char(normalised.str.slice(0, 17)))
    ).fill_null(False)


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
    surveys, and hashes each of them once."""

    def __init__(self, secret: bytes):
        self._secret = secret
        self._known = pl.DataFrame(schema={"value": pl.String, "key": pl.String})

    def __call__(self, values: pl.Series) -> pl.Series:
        distinct = values.drop_nulls().unique()
        new = distinct.filter(~distinct.is_in(self._known.get_column("value").implode()))
        if len(new):
            digests = [hmac.digest(self._secret, v.encode(), hashlib.sha256).hex() for v in new]
            self._known = pl.concat([self._known, pl.DataFrame({"value": new, "key": digests})], rechunk=False)
        return (
            values.to_frame("value")
            .join(self._known, on="value", how="left", maintain_order="left")
            .get_column("key")
        )


def keyed_hash(secret: bytes, values: pl.Series) -> pl.Series:
    """HMAC-SHA256(secret, value) in hex, one HMAC per distinct value."""
    return KeyedHasher(secret)(values)
