"""Demo cases: a few dozen stalking cases in five prefectures, with their timelines.

Deterministic (a seeded generator) and idempotent: a case whose reference is
already in its prefecture is left alone, and each case is written with its
events in one transaction, so running the loader twice changes nothing.

Two sets of cases. The 40 histories (`<pref>-DEMO-0001`…) are opened between
2016 and mid-2026. The advice cohort (`<pref>-DEMO-0101`…) is 100 offenders
advised during the calendar year two years back — the year the evaluation page
opens on — and followed to today: their answers and treatment fall in the NPA's
published shares (FACTS.md, April–December 2016: of 293 advised, 73 received,
13 scheduled, 22 not needed, 179 rejected, 6 undecided), so the evaluation
(DESIGN §5) has groups of 10 or more to compare. Every advised offender of both
sets gets a first recurrence, if any, from the generator's hazard model
(`recurrence_model.HazardModel`: about 10 % of those who reject resume within a
year, fewer of those treated): drawn for the histories, from a random stream of
its own so that their other values stay as they were; for the cohort, at evenly
spread quantiles of the model within each group, so that a hundred episodes show
the model's proportions rather than the noise of one draw.
Relationships follow the NPA's published shares (FACTS.md: partner or
ex-partner ~45 %, workplace ~12 %, acquaintance ~13 %, stranger ~7 %, unknown
~7 %). Every name, address and phone number is made up: the towns do not
exist, and the 090-0000 numbers are not assigned.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from tsunagu.cases import services, timeline
from tsunagu.cases.models import Case
from tsunagu.cases.recurrence_model import HazardModel
from tsunagu.core.models import User

# prefecture code → (demo officer, number of cases, wards or cities)
PREFECTURES: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "13": ("officer-tokyo", 14, ("東京都新宿区", "東京都杉並区", "東京都世田谷区", "東京都豊島区")),
    "27": ("officer-osaka", 9, ("大阪府大阪市北区", "大阪府堺市堺区", "大阪府豊中市")),
    "14": ("officer-kanagawa", 7, ("神奈川県横浜市中区", "神奈川県川崎市川崎区", "神奈川県藤沢市")),
    "23": ("officer-aichi", 5, ("愛知県名古屋市中区", "愛知県豊橋市", "愛知県岡崎市")),
    "40": (
        "officer-fukuoka",
        5,
        ("福岡県福岡市博多区", "福岡県北九州市小倉北区", "福岡県久留米市"),
    ),
}

RELATIONSHIP_SHARES = (
    ("partner_or_ex", 45),
    ("spouse_or_ex", 10),
    ("acquaintance", 13),
    ("workplace", 12),
    ("stranger", 7),
    ("unknown", 7),
    ("other", 6),
)

FAMILY = "佐々木 中村 小林 加藤 吉田 山口 松本 井上 木村 林 清水 山崎 森 池田 橋本 阿部 石川 前田".split()
FEMALE = "美咲 陽子 由美 恵 真由美 彩 千尋 優子 麻衣 沙織 愛 奈々".split()
MALE = "大輔 健太 翔太 拓也 直樹 雄一 浩二 誠 隆 和也 哲也 亮".split()
TOWNS = "桜ヶ丘東 緑町北 若葉台西 柳原南 朝日台 旭ヶ丘 青葉原 松風町".split()
WORKPLACES = ("株式会社みどり商事", "ひまわり保育園", "さくら総合病院（架空）", "青葉物流センター")

# The advice cohort: offenders per prefecture, numbered from 101, and the leaves
# of the NPA's April–December 2016 figures, which their answers follow.
COHORT: dict[str, int] = {"13": 35, "27": 23, "14": 17, "23": 13, "40": 12}
COHORT_FIRST_NUMBER = 101
COHORT_YEARS_BACK = 2
PUBLISHED_LEAVES = (
    ("completed", 14),
    ("continuing", 48),
    ("halted", 11),
    ("scheduled", 13),
    ("not_needed", 22),
    ("rejected", 179),
    ("undecided", 6),
)
REJECTION_REASONS = ("sees_no_need", "sees_no_need", "blames_victim", "cost", "time")

FIRST_DAY = dt.date(2016, 4, 1)
LAST_DAY = dt.date(2026, 6, 30)
EMERGENCY_ORDERS_FROM = dt.date(2017, 6, 14)


def _relationship(rng: random.Random) -> str:
    codes, weights = zip(*RELATIONSHIP_SHARES, strict=True)
    return rng.choices(codes, weights=weights)[0]


def _person(rng: random.Random, role: str, sex: str, towns: tuple[str, ...]) -> services.PersonData:
    given = rng.choice(FEMALE if sex == "female" else MALE)
    return services.PersonData(
        role=role,
        name=f"{rng.choice(FAMILY)} {given}",
        sex=sex,
        age=rng.randint(19, 68),
        address=f"{rng.choice(towns)}{rng.choice(TOWNS)}{rng.randint(1, 5)}-{rng.randint(1, 30)}-"
        f"{rng.randint(1, 20)}",
        phone=f"090-0000-{rng.randint(0, 9999):04d}",
        workplace=rng.choice(WORKPLACES) if role == "victim" and rng.random() < 0.5 else "",
    )


def _after(rng: random.Random, day: dt.date, low: int, high: int) -> dt.date:
    return min(day + dt.timedelta(days=rng.randint(low, high)), LAST_DAY)


def _timeline(rng: random.Random, opened: dt.date) -> list[tuple[dt.date, str, str]]:
    """The measures after the first consultation, in date order, as a police file has them."""
    events: list[tuple[dt.date, str, str]] = []
    day = opened
    if rng.random() < 0.65:
        day = _after(rng, day, 3, 30)
        events.append((day, "warning", rng.choice(["", "口頭で警告", "文書で警告"])))
    ordered = False
    if rng.random() < 0.2:
        day = _after(rng, day, 5, 60)
        kind = (
            "emergency_order"
            if day >= EMERGENCY_ORDERS_FROM and rng.random() < 0.4
            else "prohibition_order"
        )
        events.append((day, kind, ""))
        ordered = True
    if rng.random() < 0.25:
        day = _after(rng, day, 1, 20)
        events.append((day, "assistance", rng.choice(["防犯ブザー貸与", "避難先の紹介", ""])))
    if rng.random() < 0.12:
        day = _after(rng, day, 5, 90)
        kind = (
            "order_violation"
            if ordered and rng.random() < 0.6
            else rng.choice(["stalking", "other"])
        )
        events.append((day, "arrest", kind))
    if events and rng.random() < 0.35:
        day = _after(rng, day, 1, 14)
        events.append((day, "treatment_advised", ""))
        answer = rng.random()
        day = _after(rng, day, 1, 10)
        if answer < 0.37:
            events.append((day, "advice_accepted", ""))
        elif answer < 0.98:
            reason = rng.choice(["sees_no_need", "sees_no_need", "blames_victim", "cost", "time"])
            events.append((day, "advice_rejected", reason))
        else:
            events.append((day, "advice_undecided", ""))
    if day < LAST_DAY - dt.timedelta(days=365) and rng.random() < 0.5:
        events.append((_after(rng, day, 90, 300), "case_closed", "行為の停止を確認"))
    return events


def allocate(total: int) -> list[str]:
    """`total` leaves in the published shares (largest remainders), in table order."""
    whole = sum(n for _, n in PUBLISHED_LEAVES)
    exact = [(leaf, n * total / whole) for leaf, n in PUBLISHED_LEAVES]
    counts = {leaf: int(x) for leaf, x in exact}
    short = total - sum(counts.values())
    for leaf, _x in sorted(exact, key=lambda e: e[1] - int(e[1]), reverse=True)[:short]:
        counts[leaf] += 1
    return [leaf for leaf, _ in PUBLISHED_LEAVES for _ in range(counts[leaf])]


def spread_quantiles(leaves: list[str], rng: random.Random) -> list[float]:
    """For each cohort case, its quantile of the recurrence time: within each
    group, evenly spaced quantiles in a random order. So the few episodes of a
    group recur where the model puts them, not where one small draw does."""
    members: dict[str, list[int]] = {}
    for i, leaf in enumerate(leaves):
        members.setdefault(timeline.GROUP_OF_LEAF[leaf], []).append(i)
    quantiles = [0.0] * len(leaves)
    for indices in members.values():
        ranks = list(range(len(indices)))
        rng.shuffle(ranks)
        for i, rank in zip(indices, ranks, strict=True):
            quantiles[i] = (rank + 0.5) / len(indices)
    return quantiles


def _recurrence(
    rng: random.Random,
    relationship: str,
    events: list[tuple[dt.date, str, str]],
    leaf: str,
    last: dt.date,
    quantile: float | None = None,
) -> list[tuple[dt.date, str, str]]:
    """The first recurrence after the (only) advice, if the hazard model puts it
    on or before `last` (drawn, or at `quantile` of its distribution): a
    recurrence and the warning it brings, reopening a closed case first."""
    advised_on = next(day for day, kind, _ in events if kind == "treatment_advised")
    before = {kind for day, kind, _ in events if day <= advised_on}
    hr = HazardModel.hazard_ratio(
        timeline.GROUP_OF_LEAF[leaf],
        relationship in ("partner_or_ex", "spouse_or_ex"),
        prior_order=bool(before & {"prohibition_order", "emergency_order"}),
        prior_arrest="arrest" in before,
    )
    exact = (
        HazardModel.draw_days(rng, hr) if quantile is None else HazardModel.days_at(quantile, hr)
    )
    days = max(1, math.ceil(exact))
    if days > (last - advised_on).days:
        return []
    day = advised_on + dt.timedelta(days=days)
    victim = rng.choice(("same_victim",) * 4 + ("new_victim",))
    added = []
    closed = [d for d, kind, _ in events if kind == "case_closed" and d <= day]
    if closed:
        added.append((day, "case_reopened", "再発の相談"))
    return [*added, (day, "recurrence", victim), (day, "warning", "再発につき警告")]


def _leaf_of(events: list[tuple[dt.date, str, str]]) -> str:
    """The leaf of the history's advice episode (DESIGN §4), as the reports derive it."""
    evs = [timeline.Ev(day, kind, detail, i) for i, (day, kind, detail) in enumerate(events)]
    episodes = timeline.episodes(timeline.effective(evs))
    return timeline.classify(episodes[0]).leaf if episodes else "undecided"


def _cohort_timeline(
    rng: random.Random, leaf: str, year: int
) -> tuple[dt.date, list[tuple[dt.date, str, str]]]:
    """An offender advised in `year` whose answer and treatment end in `leaf`:
    the opening date and the events, in date order."""
    advised_on = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
    opened = advised_on - dt.timedelta(days=rng.randint(30, 150))
    # The measures that led to the advice, in order between opening and advice.
    span = (advised_on - opened).days - 1
    marks = sorted(rng.sample(range(1, span), 3))
    events: list[tuple[dt.date, str, str]] = []
    if rng.random() < 0.8:
        events.append((opened + dt.timedelta(days=marks[0]), "warning", "文書で警告"))
    if rng.random() < 0.35:
        day = opened + dt.timedelta(days=marks[1])
        kind = "emergency_order" if rng.random() < 0.4 else "prohibition_order"
        events.append((day, kind, ""))
    if rng.random() < 0.15:
        events.append((opened + dt.timedelta(days=marks[2]), "arrest", "stalking"))
    events.append(
        (advised_on, "treatment_advised", rng.choice(["対面で働き掛け", "書面で働き掛け"]))
    )
    answered = advised_on + dt.timedelta(days=rng.randint(1, 10))
    if leaf == "rejected":
        events.append((answered, "advice_rejected", rng.choice(REJECTION_REASONS)))
    elif leaf == "undecided":
        events.append((answered, "advice_undecided", ""))
    else:
        events.append((answered, "advice_accepted", ""))
        scheduled = answered + dt.timedelta(days=rng.randint(5, 20))
        if leaf == "scheduled":  # an appointment late in the first months
            scheduled = answered + dt.timedelta(days=rng.randint(30, 75))
        events.append((scheduled, "appointment_scheduled", ""))
        later = scheduled + dt.timedelta(days=rng.randint(7, 30))
        if leaf == "not_needed":
            events.append((later, "assessed_not_needed", ""))
        elif leaf != "scheduled":
            events.append((later, "treatment_started", ""))
            if leaf == "completed":
                events.append(
                    (later + dt.timedelta(days=rng.randint(120, 300)), "treatment_completed", "")
                )
            elif leaf == "halted":
                events.append(
                    (later + dt.timedelta(days=rng.randint(30, 200)), "treatment_halted", "")
                )
    return opened, events


def _open_case(
    officer: User,
    ref: str,
    rng: random.Random,
    towns: tuple[str, ...],
    cohort: tuple[str, int, float] | None = None,
) -> None:
    """Open one demo case and record its events. `cohort` (leaf, year, quantile
    of its recurrence time): a case of the advice cohort; else one of the histories."""
    span = (LAST_DAY - FIRST_DAY).days
    opened = FIRST_DAY + dt.timedelta(days=rng.randint(0, span - 30))
    stations = list(officer.prefecture.children.order_by("code")) if officer.prefecture else []
    victims = [_person(rng, "victim", "female" if rng.random() < 0.88 else "male", towns)]
    if rng.random() < 0.1:
        victims.append(_person(rng, "victim", "female", towns))
    offender = _person(rng, "offender", "male" if rng.random() < 0.85 else "female", towns)
    assert officer.prefecture is not None
    station = rng.choice(stations) if stations else None
    relationship = _relationship(rng)
    detail_opened = rng.choice(["本人来署", "電話相談", "家族からの相談", ""])
    quantile = None
    if cohort is None:
        events = _timeline(rng, opened)
        leaf, last = _leaf_of(events), LAST_DAY
    else:
        leaf, year, quantile = cohort
        opened, events = _cohort_timeline(rng, leaf, year)
        last = timezone.localdate()
    if any(kind == "treatment_advised" for _, kind, _ in events):
        # A stream of its own: the draws above stay those of earlier versions.
        follow = random.Random(f"tsunagu-demo-recurrence-{ref}")  # noqa: S311
        events = sorted(
            [*events, *_recurrence(follow, relationship, events, leaf, last, quantile)],
            key=lambda e: e[0],
        )
    with transaction.atomic():
        case = services.case_open(
            actor=officer,
            prefecture=officer.prefecture,
            ref=ref,
            opened_on=opened,
            station=station,
            relationship=relationship,
            people=[offender, *victims],
            detail=detail_opened,
        )
        for day, kind, detail in events:
            services.event_record(actor=officer, case=case, date=day, type=kind, detail=detail)
        # One case shows a mistaken entry and its audited correction.
        if ref.endswith("-0003"):
            wrong = services.event_record(
                actor=officer, case=case, date=opened, type="warning", detail="別事案の入力誤り"
            )
            services.event_correct(
                actor=officer, event=wrong, reason="別の事案に記録すべきものだった"
            )


def load(stdout: TextIO) -> None:
    created = existing = 0
    for code, (username, count, towns) in PREFECTURES.items():
        officer = User.objects.filter(username=username).first()
        if officer is None or officer.prefecture is None:
            stdout.write(f"Demo cases of {code} skipped: no demo officer {username}.\n")
            continue
        rng = random.Random(f"tsunagu-demo-{code}")  # noqa: S311 (demo data, not secrets)
        for n in range(1, count + 1):
            ref = f"{code}-DEMO-{n:04d}"
            # Draw the case's values even when it exists, so the others stay the same.
            case_rng = random.Random(rng.random())  # noqa: S311
            if Case.objects.filter(prefecture=officer.prefecture, ref=ref).exists():
                existing += 1
                continue
            _open_case(officer, ref, case_rng, towns)
            created += 1
        cohort_rng = random.Random("tsunagu-demo-cohort")  # noqa: S311
        leaves = allocate(sum(COHORT.values()))
        cohort_rng.shuffle(leaves)
        quantiles = spread_quantiles(leaves, cohort_rng)
        year = timezone.localdate().year - COHORT_YEARS_BACK
        first = sum(n for c, n in COHORT.items() if c < code)  # this prefecture's share
        for n in range(COHORT[code]):
            ref = f"{code}-DEMO-{COHORT_FIRST_NUMBER + n:04d}"
            case_rng = random.Random(f"tsunagu-demo-cohort-{ref}")  # noqa: S311
            if Case.objects.filter(prefecture=officer.prefecture, ref=ref).exists():
                existing += 1
                continue
            cohort = (leaves[first + n], year, quantiles[first + n])
            _open_case(officer, ref, case_rng, towns, cohort=cohort)
            created += 1
    stdout.write(f"Demo cases: {created} created, {existing} already there.\n")
