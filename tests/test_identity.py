"""Check digits of IDs (GB 11643) and credit codes (GB 32100), against known values and
against python-stdnum on random ones, in both the numpy and the polars forms; the keyed hash against Python's hmac."""

import hashlib
import hmac

import numpy as np
import polars as pl
import pytest
from stdnum.cn import ric, uscc

from pipelines import identity

VALID_IDS = [
    "11010519491231002X",  # X check digit (the GB 11643 example)
    "330283199001011238",
    "330283200402290026",  # born on a leap day
]


def _ids(values: list[str]) -> pl.DataFrame:
    frame = pl.DataFrame({"raw": values}, schema={"raw": pl.String})
    return frame.with_columns(identity.normalise_id(pl.col("raw")).alias("normalised")).with_columns(
        identity.id_is_valid(pl.col("normalised")).alias("valid")
    )


def test_known_ids_are_valid():
    assert _ids(VALID_IDS).get_column("valid").to_list() == [True] * len(VALID_IDS)
    assert all(ric.is_valid(v) for v in VALID_IDS)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("11010519491231002x", "11010519491231002X"),  # lower-case x
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),  # full-width
        (" 110105 19491231 002X\u3000", "11010519491231002X"),  # spaces, ideographic space
        ("110105491231002", "11010519491231002X"),  # 15 -> 18 digits
    ],
)
def test_cleaning_and_upgrade(raw, normalised):
    row = _ids([raw]).row(0, named=True)
    assert row["normalised"] == normalised
    assert row["valid"] is True


@pytest.mark.parametrize(
    "raw",
    [
        "110105194912310021",  # wrong check digit
        "11010519491231002",  # 17 characters
        "1101051949123100211",  # 19 characters
        "11010519491231002Y",  # not a check character
        "11٠10519491231002X",  # an Arabic-Indic zero is a \d but not a digit here
        "1101051949123100é",  # 18 bytes, but 17 characters
        "1.1010519491231e+17",  # a number in scientific notation
        "110105194912310000",  # digits lost in a spreadsheet's float
        "",
        None,
    ],
)
def test_invalid_ids(raw):
    assert _ids([raw]).get_column("valid").to_list() == [False]


def test_birth_date_and_gender_from_id():
    frame = pl.DataFrame({"id": ["11010519491231002X", "110105194912310011"]}).select(
        identity.birth_date_from_id(pl.col("id")).alias("birth"),
        identity.gender_from_id(pl.col("id")).alias("gender"),
    )
    assert frame.get_column("birth").dt.to_string("%Y-%m-%d").to_list() == ["1949-12-31"] * 2
    assert frame.get_column("gender").to_list() == ["女", "男"]  # digit 17: 2 even, 1 odd


def test_id_check_digits_match_stdnum_on_random_values():
    rng = np.random.default_rng(11643)
    bodies = rng.integers(0, 10, size=(3000, 17))
    texts = ["".join(map(str, row)) for row in bodies]
    expected = [ric.calc_check_digit(t + "0") for t in texts]  # stdnum ignores the last char

    assert identity.id_check_chars(bodies).tolist() == expected
    polars_chars = identity._id_check_series(pl.Series(texts))
    assert polars_chars.to_list() == expected

    full = pl.Series([t + c for t, c in zip(texts, expected)]).to_frame("id")
    assert full.select(identity.id_is_valid(pl.col("id"))).to_series().all()
    wrong = [t + ("1" if c == "0" else "0") for t, c in zip(texts, expected)]
    assert not pl.Series(wrong).to_frame("id").select(identity.id_is_valid(pl.col("id"))).to_series().any()


KNOWN_USCC = ["91110000600037341L", "91330283MA2AH7X41K"[:17] + uscc.calc_check_digit("91330283MA2AH7X41")]


def test_known_credit_codes():
    frame = pl.DataFrame({"code": [*KNOWN_USCC, "91110000600037341l", " 9111 0000 6000 3734 1L ",
                                   "91110000600037341M", "A1110000600037341L", "9111000060003734", None]})
    assert frame.select(identity.uscc_is_valid(pl.col("code"))).to_series().to_list() == [
        True, True, True, True, False, False, False, False,
    ]


def test_uscc_check_chars_match_stdnum_on_random_values():
    rng = np.random.default_rng(32100)
    alphabet = np.array(list(identity.USCC_ALPHABET))
    bodies = np.hstack(
        [rng.integers(0, 10, size=(3000, 8)), rng.integers(0, len(alphabet), size=(3000, 9))]
    )
    texts = ["".join(alphabet[row]) for row in bodies]
    expected = [uscc.calc_check_digit(t) for t in texts]

    assert identity.uscc_check_chars(bodies).tolist() == expected
    polars_chars = pl.Series(texts).to_frame("body").select(identity.uscc_check_char(pl.col("body")))
    assert polars_chars.to_series().to_list() == expected

    codes = [t + c for t, c in zip(texts, expected)]
    valid = pl.Series(codes).to_frame("code").select(identity.uscc_is_valid(pl.col("code"))).to_series()
    assert valid.all()
    assert all(uscc.is_valid(c) for c in codes[:200])


@pytest.mark.parametrize("secret", [b"k" * 32, b"z" * 100, "密钥 key".encode()])
def test_keyed_hash_is_rfc2104_hmac_sha256(secret):
    # DuckDB computes the HMAC in bulk; Python's hmac is the reference, including a
    # secret longer than SHA-256's 64-byte block (hashed first) and non-ASCII values.
    values = pl.Series(["330283194608254057", None, "中文", "", "a" * 200])
    expected = [None if v is None else hmac.digest(secret, v.encode(), hashlib.sha256).hex() for v in values]
    assert identity.keyed_hash(secret, values).to_list() == expected


def test_keyed_hasher_remembers_keys_across_files():
    secret = b"s" * 32
    hasher = identity.KeyedHasher(secret)
    first = pl.Series([f"33028319800101{i:04d}" for i in range(3000)])
    second = pl.concat([first.slice(1000, 1500), pl.Series(["new-1", None, "new-2"]), first.slice(0, 10)])

    def reference(values):
        return [None if v is None else hmac.digest(secret, v.encode(), hashlib.sha256).hex() for v in values]

    assert hasher(first).to_list() == reference(first)
    assert hasher(second).to_list() == reference(second)  # known, new and null values mixed, order kept
    assert hasher(second).to_list() == reference(second)  # all known now
    assert hasher._exact(second).to_list() == reference(second)  # the lookup used after a hash collision


def test_a_numbered_hasher_keeps_the_numbers_it_is_given_and_numbers_new_keys_after_them():
    """Numbered (as ingestion keys persons), the hasher returns the number of each value's
    key: the one raw.person_keys already holds, else the next after the largest, the same
    number every time the value comes back, also through the lookup used after a collision."""
    secret = b"s" * 32

    def key(value):
        return hmac.digest(secret, value.encode(), hashlib.sha256).hex()

    ids = pl.Series([f"33028319800101{i:04d}" for i in range(3000)])
    hasher = identity.KeyedHasher(secret, pl.DataFrame({"person_key": [key(ids[0]), key(ids[1])],
                                                        "person_id": [7, 2]}))
    first = hasher(ids)
    assert first.dtype == pl.Int32 and first[:2].to_list() == [7, 2]
    assert sorted(first[2:].to_list()) == list(range(8, 8 + 2998))
    second = pl.concat([ids.slice(1000, 10), pl.Series(["new-1", None]), ids.slice(0, 2)])
    numbers = hasher(second).to_list()
    assert numbers == [*first.slice(1000, 10).to_list(), 8 + 2998, None, 7, 2]
    assert hasher._exact(second).to_list() == numbers
    issued = hasher.issued()  # the new keys only, with their numbers
    assert issued.height == 2999 and set(issued.get_column("person_id")) == set(range(8, 8 + 2999))
    by_key = dict(issued.select("person_key", "person_id").iter_rows())
    assert all(by_key[key(v)] == n for v, n in zip(ids[2:], first[2:]))


def test_a_numbered_hasher_gives_a_value_the_same_number_after_the_collision_lookup_numbered_it():
    """The collision lookup remembers no values: a value it numbered keeps that number when
    it comes back through the ordinary lookup, and the other way round."""
    hasher = identity.KeyedHasher(b"s" * 32, identity.NO_NUMBERS)
    first = pl.Series(["a", "b", None])
    exact = hasher._exact(first).to_list()
    assert sorted(exact[:2]) == [1, 2] and exact[2] is None
    assert hasher(pl.Series(["b", "c", "a"])).to_list() == [exact[1], 3, exact[0]]
    assert hasher._exact(pl.Series(["c", "d"])).to_list() == [3, 4]
    assert hasher.issued().height == 4
