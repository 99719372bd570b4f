"""Demo clinics and Tokyo cases at every step of the loop (demo mode only).

Runs after core.demo (the users) and before cases.demo. Idempotent: clinics are
updated in place, and a demo case whose reference exists is left as it is.
Dates are relative to today so that deadlines and follow-ups are live.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TextIO

from django.db import transaction
from django.utils import timezone

from tsunagu.cases.models import Case
from tsunagu.cases.services import PersonData, case_open, event_record
from tsunagu.core.models import Region, User
from tsunagu.treatment import loop
from tsunagu.treatment.models import Clinic, ClinicStaff, Referral

SELF_PAY = "自費診療（初診 5,000〜8,000円程度、以後1回 3,000〜5,000円）。"
SUBSIDY = "都の補助制度により初回から3回までの診療費は本人負担なし。"

# code, name, kind, specialties, address, contact, languages, fee notes, capacity, stations
CLINICS = [
    (
        "13-C001",
        "新宿こころのクリニック",
        "clinic",
        "精神科、認知行動療法、加害者臨床",
        "東京都新宿区西新宿一丁目（架空）",
        "山本 由紀",
        "ja,en",
        SELF_PAY + SUBSIDY,
        5,
        ["13-003", "13-004"],
    ),
    (
        "13-C002",
        "武蔵野メンタルヘルス病院",
        "hospital",
        "精神科（入院可）、依存症",
        "東京都武蔵野市（架空）",
        "中村 浩",
        "ja",
        SELF_PAY + SUBSIDY,
        3,
        ["13-005", "13-007"],
    ),
    (
        "13-C003",
        "こもれび心理相談室",
        "counselling",
        "カウンセリング、グループ療法",
        "東京都台東区上野（架空）",
        "小林 綾",
        "ja,zh",
        "相談料 1回 6,000円（本人負担）。",
        2,
        ["13-006", "13-001"],
    ),
    (
        "27-C001",
        "梅田メンタルクリニック",
        "clinic",
        "精神科、認知行動療法",
        "大阪市北区梅田（架空）",
        "松本 直子",
        "ja,en",
        SELF_PAY,
        4,
        ["27-001", "27-002"],
    ),
    (
        "27-C002",
        "なにわ心療内科",
        "clinic",
        "心療内科、家族相談",
        "大阪市浪速区（架空）",
        "井上 修",
        "ja,ko",
        SELF_PAY + "府の補助で初回無料。",
        3,
        ["27-004"],
    ),
    (
        "14-C001",
        "みなとみらい精神科クリニック",
        "clinic",
        "精神科、性嗜好障害",
        "横浜市西区（架空）",
        "木村 真理",
        "ja,en",
        SELF_PAY + "県の補助で初診料を助成。",
        3,
        ["14-001", "14-002"],
    ),
    (
        "23-C001",
        "名古屋さかえ心のクリニック",
        "clinic",
        "精神科、認知行動療法",
        "名古屋市中区栄（架空）",
        "林 健太",
        "ja,pt",
        SELF_PAY,
        3,
        ["23-001"],
    ),
    (
        "40-C001",
        "博多こころの相談センター",
        "counselling",
        "カウンセリング、加害者臨床",
        "福岡市博多区（架空）",
        "清水 翔",
        "ja",
        "相談料 1回 5,000円（本人負担）。",
        2,
        ["40-001", "40-002"],
    ),
]

OFFENDERS = [
    ("田村 一郎", 34, "090-1111-0001"),
    ("森 大輔", 41, "090-1111-0002"),
    ("岡田 翔太", 27, "090-1111-0003"),
    ("長谷川 誠", 52, "090-1111-0004"),
    ("石井 拓也", 38, "090-1111-0005"),
    ("山崎 亮", 45, "090-1111-0006"),
    ("阿部 直人", 31, "090-1111-0007"),
    ("池田 剛", 29, "090-1111-0008"),
    ("橋本 優", 36, "090-1111-0009"),
    ("前田 健", 48, "090-1111-0010"),
]
SUMMARY = (
    "元交際相手への連絡を繰り返し、警告を受けた。本人は自分の行動を止めたいと話し、"
    "受診に同意した。平日夕方以降の予約を希望。"
)


def load(stdout: TextIO) -> None:
    with transaction.atomic():
        clinics = _clinics()
    clinician = User.objects.filter(username="clinician-tokyo").first()
    if clinician is not None:
        ClinicStaff.objects.update_or_create(
            user=clinician, defaults={"clinic": clinics["13-C001"]}
        )
    officer = User.objects.filter(username="officer-tokyo").first()
    if officer is None or clinician is None:
        stdout.write("Treatment demo: demo users missing, no demo cases.\n")
        return
    made = _cases(officer, clinician, clinics["13-C001"], clinics["13-C002"])
    stdout.write(
        f"Treatment demo: {len(CLINICS)} clinics; {made} new Tokyo cases (DEMO-T-001…010); "
        "clinician-tokyo works at 13-C001.\n"
    )


def _clinics() -> dict[str, Clinic]:
    result: dict[str, Clinic] = {}
    for code, name, kind, spec, address, contact, langs, fees, cap, stations in CLINICS:
        clinic, _created = Clinic.objects.update_or_create(
            code=code,
            defaults={
                "prefecture": Region.objects.get(code=code[:2]),
                "name": name,
                "kind": kind,
                "specialties": spec,
                "address": address,
                "contact_person": contact,
                "languages": langs,
                "fee_notes": fees,
                "monthly_capacity": cap,
                "accepting": True,
            },
        )
        clinic.nearest_stations.set(Region.objects.filter(code__in=stations))
        result[code] = clinic
    return result


def _cases(officer: User, clinician: User, clinic: Clinic, other: Clinic) -> int:
    today = timezone.localdate()

    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    def accept(case: Case, day: dt.date) -> None:
        loop.advice_record(actor=officer, case=case, date=day, method="in_person")
        loop.advice_respond(actor=officer, case=case, date=day, response="accepted")
        for direction in ("police_to_clinic", "clinic_to_police"):
            loop.consent_record(
                actor=officer,
                case=case,
                date=day,
                direction=direction,
                given=True,
                method="written",
            )

    def refer(case: Case, day: dt.date, to: Clinic = clinic) -> Referral:
        return loop.referral_send(actor=officer, case=case, clinic=to, date=day, summary=SUMMARY)

    def act(referral: Referral, action: str, day: dt.date, **kw: Any) -> None:
        loop.referral_act(
            actor=clinician,
            referral=referral,
            action=action,
            date=day,
            **kw,
        )

    def warning(case: Case, day: dt.date) -> None:
        event_record(actor=officer, case=case, date=day, type="warning")

    def ready(case: Case) -> None:
        warning(case, ago(40))
        accept(case, ago(20))

    def undecided(case: Case) -> None:
        warning(case, ago(35))
        loop.advice_record(actor=officer, case=case, date=ago(14), method="leaflet")
        loop.advice_respond(actor=officer, case=case, date=ago(14), response="undecided")

    def overdue(case: Case) -> None:
        warning(case, ago(45))
        accept(case, ago(16))
        refer(case, ago(14))

    def acknowledged(case: Case) -> None:
        accept(case, ago(6))
        r = refer(case, ago(4))
        act(r, "acknowledge", ago(3))

    def in_treatment(case: Case) -> None:
        warning(case, ago(90))
        accept(case, ago(75))
        r = refer(case, ago(70))
        act(r, "acknowledge", ago(69))
        act(r, "schedule", ago(69), appointment_on=ago(62))
        act(r, "start", ago(62))
        for days in (55, 48, 41):
            act(r, "session", ago(days))
        loop.followup_plan(
            actor=officer,
            case=case,
            source_type="treatment_started",
            source_date=ago(62),
            offset_days=30,
            due_on=ago(32),
            history=True,
        )

    def completed(case: Case) -> None:
        warning(case, ago(300))
        accept(case, ago(280))
        r = refer(case, ago(278))
        act(r, "acknowledge", ago(277))
        act(r, "schedule", ago(277), appointment_on=ago(270))
        act(r, "start", ago(270))
        act(r, "complete", ago(150))

    def halted_and_recurred(case: Case) -> None:
        warning(case, ago(200))
        accept(case, ago(180))
        refer(case, ago(178), other)
        # The other clinic has no demo account: its events come as an import would bring them.
        event_record(
            actor=officer,
            case=case,
            date=ago(170),
            type="appointment_scheduled",
            detail=f"{other.code}|{ago(165).isoformat()}",
        )
        event_record(actor=officer, case=case, date=ago(165), type="treatment_started")
        event_record(
            actor=officer,
            case=case,
            date=ago(120),
            type="treatment_halted",
            detail="stopped_attending",
        )
        loop.recurrence_record(
            actor=officer, case=case, date=ago(20), victim="same_victim", sign="warning"
        )

    def rejected(case: Case) -> None:
        warning(case, ago(60))
        loop.advice_record(actor=officer, case=case, date=ago(50), method="in_person")
        loop.advice_respond(
            actor=officer, case=case, date=ago(50), response="rejected", reason="blames_victim"
        )

    def order_breach(case: Case) -> None:
        event_record(actor=officer, case=case, date=ago(100), type="prohibition_order")
        loop.condition_set(
            actor=officer,
            case=case,
            date=ago(100),
            kind="prohibition_order",
            expires_on=ago(100) + dt.timedelta(days=365),
        )
        loop.recurrence_record(
            actor=officer, case=case, date=ago(5), victim="same_victim", sign="contact_report"
        )

    def withdrawn(case: Case) -> None:
        accept(case, ago(60))
        r = refer(case, ago(58))
        act(r, "acknowledge", ago(57))
        loop.consent_record(
            actor=officer, case=case, date=ago(50), direction="clinic_to_police", given=False
        )
        act(r, "schedule", ago(50), appointment_on=ago(45))
        act(r, "start", ago(45))

    scripts: list[Callable[[Case], None]] = [
        ready,
        undecided,
        overdue,
        acknowledged,
        in_treatment,
        completed,
        halted_and_recurred,
        rejected,
        order_breach,
        withdrawn,
    ]
    tokyo = Region.objects.get(code="13")
    station = Region.objects.get(code="13-003")
    made = 0
    for i, script in enumerate(scripts, start=1):
        ref = f"DEMO-T-{i:03d}"
        if Case.objects.filter(prefecture=tokyo, ref=ref).exists():
            continue
        name, age, phone = OFFENDERS[i - 1]
        with transaction.atomic():
            case = case_open(
                actor=officer,
                prefecture=tokyo,
                ref=ref,
                opened_on=ago(400 if script is completed else 320),
                station=station,
                relationship="partner_or_ex",
                people=[
                    PersonData(
                        role="offender",
                        name=name,
                        sex="male",
                        age=age,
                        phone=phone,
                        address="東京都新宿区（架空）",
                    ),
                    PersonData(
                        role="victim",
                        name="（デモ）被害者",
                        sex="female",
                        age=age - 3,
                        address="（デモ）非表示の住所",
                        phone="（デモ）非表示の電話",
                    ),
                ],
            )
            script(case)
        made += 1
    return made
