"""Employment and training records (就业与培训): job spells and courses, shown as they
stood at each snapshot. At 2022-06-30 the quota (按比例就业) and sheltered (集中就业)
head counts are exactly the district's reported figures (scaled)."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.generate.calendar import CALIBRATION_DAY, age_at, month_end, uniform_days
from pipelines.generate.people import People, scaled
from pipelines.identity import USCC_ALPHABET, org_code_check_chars, uscc_check_chars

QUOTA_EMPLOYERS, QUOTA_PERSONS = 282, 1_137
WORKSHOPS, WORKSHOP_PERSONS = 11, 420
EMPLOYMENT_RATE_AT_REPORT = 0.47  # working-age holders employed at 2022-06-30
OTHER_FORMS = ["个体就业", "灵活就业", "公益性岗位", "辅助性就业", "农村种养殖"]
OTHER_FORMS_P = [0.17, 0.38, 0.12, 0.10, 0.23]
NEW_FORMS = ["按比例就业", "集中就业", "个体就业", "灵活就业", "公益性岗位", "辅助性就业", "农村种养殖"]
NEW_FORMS_P = [0.22, 0.06, 0.14, 0.30, 0.14, 0.08, 0.06]
NEW_JOBS = {("2021-01-01", "2021-12-31"): 110, ("2022-01-01", "2022-06-30"): 60,
            ("2022-07-01", "2022-12-31"): 70, ("2023-01-01", "2023-12-31"): 128,
            ("2024-01-01", "2024-12-31"): 135, ("2025-01-01", "2025-12-31"): 122}
TRAININGS = {2021: 280, 2022: 295, 2023: 310, 2024: 318, 2025: 305}
COURSES = ["电子商务培训", "盲人按摩培训", "手工编织培训", "家政服务培训", "农村实用技术培训",
           "计算机操作培训", "面点制作培训", "中式烹调培训", "电工基础培训", "直播带货培训"]
SNAPSHOT_MONTHS = [np.datetime64(f"{y}-{m}", "M") for y in range(2021, 2026) for m in ("06", "12")]

TRADES = ["机械", "电器", "塑料", "服饰", "五金", "食品", "文具", "汽配", "纺织", "建材", "包装", "竹木"]
PLACES = ["锦屏", "岳林", "江口", "西坞", "萧王庙", "方桥", "溪口", "尚田", "莼湖", "裘村", "大堰", "松岙"]


def make_usccs(rng: np.random.Generator, n: int) -> np.ndarray:
    """Credit codes: 91 + region + GB 11714 organisation code + GB 32100 check character."""
    letters = np.array(list(USCC_ALPHABET))
    body8 = np.empty((n, 8), dtype="<U1")
    modern = rng.random(n) < 0.5
    body8[:, :] = letters[rng.integers(0, 10, (n, 8))]
    body8[modern, 0], body8[modern, 1], body8[modern, 2] = "M", "A", "2"
    body8[modern, 3:] = letters[rng.integers(0, 31, (modern.sum(), 5))]
    gb11714_value = np.vectorize(lambda c: int(c, 36))(body8)
    org_code = np.char.add(np.array(["".join(r) for r in body8]), org_code_check_chars(gb11714_value))
    region = np.where(rng.random(n) < 0.6, "330283", "330213")
    body17 = np.char.add(np.char.add("91", region), org_code)
    index = np.vectorize(USCC_ALPHABET.index)(np.array([list(b) for b in body17]))
    return np.char.add(body17, uscc_check_chars(index))


def employers(rng: np.random.Generator, scale: float) -> pl.DataFrame:
    quota_n, shop_n = max(2, int(round(QUOTA_EMPLOYERS * scale))), max(1, int(round(WORKSHOPS * scale)))
    n = quota_n + shop_n
    uscc = make_usccs(rng, n)
    place = np.array(PLACES)[rng.integers(0, len(PLACES), n)]
    trade = np.array(TRADES)[rng.integers(0, len(TRADES), n)]
    serial = np.arange(n).astype(str)
    quota_names = np.char.add(np.char.add(np.char.add("宁波奉化", place[:quota_n]), trade[:quota_n]),
                              np.char.add(serial[:quota_n], "有限公司"))
    shop_names = np.char.add(np.char.add("奉化区", place[quota_n:]), np.char.add(serial[quota_n:], "号残疾人之家"))
    return pl.DataFrame({
        "employer_name": np.concatenate([quota_names, shop_names]),
        "employer_uscc": uscc,
        "kind": ["按比例就业"] * quota_n + ["集中就业"] * shop_n,
    })


def spells(rng: np.random.Generator, people: People, firms: pl.DataFrame, scale: float) -> pl.DataFrame:
    """Job spells and training courses of the whole period (logical, typed)."""
    n = len(people)
    usable = ~people.quiet & (people.kind != "outsider")
    age_t0 = age_at(people.birth, CALIBRATION_DAY)
    on_record = people.active_at(CALIBRATION_DAY) & usable
    working = np.flatnonzero(on_record & (age_t0 >= 16) & (age_t0 <= 59))
    older = np.flatnonzero(on_record & (age_t0 >= 60) & (age_t0 <= 70))

    quota_n, shop_n = int(round(QUOTA_PERSONS * scale)), int(round(WORKSHOP_PERSONS * scale))
    employed_n = int(round(EMPLOYMENT_RATE_AT_REPORT * len(working)))
    order = rng.permutation(working)
    quota, shop = order[:quota_n], order[quota_n:quota_n + shop_n]
    others = order[quota_n + shop_n:employed_n]
    other_forms = rng.choice(OTHER_FORMS, len(others), p=OTHER_FORMS_P)
    farmers_60 = older[rng.random(len(older)) < 0.08]
    quota_firms = firms.filter(pl.col("kind") == "按比例就业")
    shop_firms = firms.filter(pl.col("kind") == "集中就业")
    quota_firm = assign_firms(rng, len(quota), quota_firms.height)
    shop_firm = assign_firms(rng, len(shop), shop_firms.height)

    pid = np.concatenate([quota, shop, others, farmers_60])
    form = np.concatenate([np.full(len(quota), "按比例就业"), np.full(len(shop), "集中就业"), other_forms,
                           np.full(len(farmers_60), "农村种养殖")])
    name = np.concatenate([quota_firms["employer_name"].to_numpy()[quota_firm],
                           shop_firms["employer_name"].to_numpy()[shop_firm],
                           np.full(len(others) + len(farmers_60), "")])
    uscc = np.concatenate([quota_firms["employer_uscc"].to_numpy()[quota_firm],
                           shop_firms["employer_uscc"].to_numpy()[shop_firm],
                           np.full(len(others) + len(farmers_60), "")])
    # Spells covering the report day: most started years before, a few in 2021 and H1 2022.
    start = uniform_days(rng, np.datetime64("2010-01-01"), np.datetime64("2020-12-31"), len(pid))
    recent = rng.permutation(len(pid))
    k21, k22 = scaled([NEW_JOBS[("2021-01-01", "2021-12-31")], NEW_JOBS[("2022-01-01", "2022-06-30")]], scale)
    start[recent[:k21]] = uniform_days(rng, np.datetime64("2021-01-01"), np.datetime64("2021-12-31"), k21)
    start[recent[k21:k21 + k22]] = uniform_days(rng, np.datetime64("2022-01-01"), CALIBRATION_DAY, k22)
    sixteen = people.birth[pid] + 16 * 366
    start = np.minimum(np.maximum(start, sixteen), CALIBRATION_DAY)
    end = np.full(len(pid), np.datetime64("NaT"), dtype="datetime64[D]")
    leaving = rng.random(len(pid)) < 0.12
    end[leaving] = uniform_days(rng, CALIBRATION_DAY + 1, np.datetime64("2025-12-31"), leaving.sum())
    closed = ~np.isnat(people.cancel[pid]) & (rng.random(len(pid)) < 0.5)
    end[closed] = np.where(np.isnat(end[closed]), people.cancel[pid][closed],
                           np.minimum(end[closed], people.cancel[pid][closed]))
    jobs = [frame(pid, form, name, uscc, start, end)]

    taken = np.zeros(n, dtype=bool)
    taken[pid] = True
    # Spells that ended before the report day.
    idle = np.flatnonzero(usable & ~taken & (age_at(people.birth, np.datetime64("2021-01-01")) >= 17)
                          & (age_at(people.birth, np.datetime64("2021-01-01")) <= 58)
                          & people.active_at(np.datetime64("2021-01-01")))
    past = rng.choice(idle, min(len(idle), int(round(90 * scale))), replace=False)
    taken[past] = True
    form_past = rng.choice(OTHER_FORMS, len(past), p=OTHER_FORMS_P)
    past_start = uniform_days(rng, np.datetime64("2012-01-01"), np.datetime64("2020-12-31"), len(past))
    past_start = np.maximum(past_start, people.birth[past] + 16 * 366)  # nobody starts work before 16
    jobs.append(frame(past, form_past, np.full(len(past), ""), np.full(len(past), ""), past_start,
                      uniform_days(rng, np.datetime64("2021-01-01"), CALIBRATION_DAY - 1, len(past))))

    # New jobs after the report day for holders not yet employed.
    for (a, b), count in NEW_JOBS.items():
        first, last = np.datetime64(a), np.datetime64(b)
        if last <= CALIBRATION_DAY:
            continue
        k = int(round(count * scale))
        # Most holders are past working age: draw plenty of candidates, keep the first k that fit.
        pool = np.flatnonzero(usable & ~taken)
        candidates = rng.choice(pool, min(len(pool), k * 6), replace=False)
        when = uniform_days(rng, first, last, len(candidates))
        fits = (people.first_issue[candidates] <= when) & ~(people.cancel[candidates] <= when)
        age = age_at(people.birth[candidates], when)
        fits &= (age >= 16) & (age <= 59)
        chosen, when = candidates[fits][:k], when[fits][:k]
        taken[chosen] = True
        new_form = rng.choice(NEW_FORMS, len(chosen), p=NEW_FORMS_P)
        firm_of = np.where(new_form == "按比例就业", rng.integers(0, quota_firms.height, len(chosen)),
                           rng.integers(0, shop_firms.height, len(chosen)))
        needs = np.isin(new_form, ["按比例就业", "集中就业"])
        firm_name = np.where(new_form == "按比例就业", quota_firms["employer_name"].to_numpy()[firm_of % quota_firms.height],
                             shop_firms["employer_name"].to_numpy()[firm_of % shop_firms.height])
        firm_uscc = np.where(new_form == "按比例就业", quota_firms["employer_uscc"].to_numpy()[firm_of % quota_firms.height],
                             shop_firms["employer_uscc"].to_numpy()[firm_of % shop_firms.height])
        jobs.append(frame(chosen, new_form, np.where(needs, firm_name, ""), np.where(needs, firm_uscc, ""),
                          when, np.full(len(chosen), np.datetime64("NaT"), dtype="datetime64[D]")))

    courses = []
    for year, count in TRAININGS.items():
        k = int(round(count * scale))
        when = uniform_days(rng, np.datetime64(f"{year}-01-01"), np.datetime64(f"{year}-12-20"), k * 6)
        candidates = rng.choice(np.flatnonzero(usable), k * 6, replace=True)
        age = age_at(people.birth[candidates], when)
        fits = (people.first_issue[candidates] <= when) & ~(people.cancel[candidates] <= when)
        fits &= (age >= 16) & (age <= 59)
        chosen, when = candidates[fits][:k], when[fits][:k]
        course = np.array(COURSES)[rng.integers(0, len(COURSES), len(chosen))]
        courses.append(pl.DataFrame({
            "pid": chosen.astype(np.int64), "record_type": "培训", "form": None, "employer_name": None,
            "employer_uscc": None, "course": course, "start_date": when,
            "end_date": when + rng.integers(2, 30, len(chosen)),
        }, schema=SPELL_SCHEMA))
    out = pl.concat(jobs + courses)
    # A course taken twice on the same day would count once anyway; keep the data tidy.
    return out.unique(subset=["pid", "record_type", "employer_uscc", "course", "start_date"], keep="first",
                      maintain_order=True)


SPELL_SCHEMA = {"pid": pl.Int64, "record_type": pl.String, "form": pl.String, "employer_name": pl.String,
                "employer_uscc": pl.String, "course": pl.String, "start_date": pl.Date, "end_date": pl.Date}


def frame(pid, form, name, uscc, start, end) -> pl.DataFrame:
    return pl.DataFrame({
        "pid": np.asarray(pid, dtype=np.int64), "record_type": "就业", "form": form,
        "employer_name": np.asarray(name, dtype=str), "employer_uscc": np.asarray(uscc, dtype=str),
        "course": None, "start_date": start, "end_date": end,
    }, schema=SPELL_SCHEMA).with_columns(pl.col("employer_name", "employer_uscc").replace("", None))


def assign_firms(rng, persons: int, firms: int) -> np.ndarray:
    """Every firm gets at least one person; the rest by a skewed size distribution."""
    if persons <= firms:
        return rng.permutation(firms)[:persons]
    weights = rng.pareto(1.2, firms) + 0.2
    rest = rng.choice(firms, persons - firms, p=weights / weights.sum())
    return rng.permutation(np.concatenate([np.arange(firms), rest]))


def snapshot(all_spells: pl.DataFrame, month: np.datetime64) -> pl.DataFrame:
    """Records started by the snapshot's month end; an end date after it is not yet known."""
    day = month_end(month)
    return all_spells.filter(pl.col("start_date") <= day).with_columns(
        end_date=pl.when(pl.col("end_date") <= day).then(pl.col("end_date"))
    )
