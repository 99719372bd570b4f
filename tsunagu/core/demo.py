"""Demo users: one per role, with a password printed by `make run` (demo mode only)."""

from __future__ import annotations

from typing import TextIO

from django.db import transaction

from tsunagu.core import services
from tsunagu.core.models import Region, Role, User

DEMO_PASSWORD = "tsunagu-demo-2016"  # noqa: S105 (demo mode only, printed by make run)

# username, role, region code, full name
DEMO_USERS = [
    ("officer-tokyo", Role.OFFICER, "13-003", "佐藤 健一"),
    ("supervisor-tokyo", Role.SUPERVISOR, "13", "高橋 美香"),
    ("officer-osaka", Role.OFFICER, "27-001", "田中 誠"),
    ("officer-kanagawa", Role.OFFICER, "14-001", "渡辺 直子"),
    ("officer-aichi", Role.OFFICER, "23-001", "小川 大輝"),
    ("officer-fukuoka", Role.OFFICER, "40-001", "松尾 恵"),
    ("clinician-tokyo", Role.CLINICIAN, None, "山本 由紀"),
    ("analyst", Role.ANALYST, "JP", "伊藤 亮"),
    ("admin", Role.ADMIN, None, "システム管理者"),
]


def load(stdout: TextIO) -> None:
    with transaction.atomic():
        for username, role, region_code, full_name in DEMO_USERS:
            if User.objects.filter(username=username).exists():
                continue
            last, _, first = full_name.partition(" ")
            services.user_create(
                actor=None,  # the operator's command line
                username=username,
                role=role,
                region=Region.objects.get(code=region_code) if region_code else None,
                last_name=last,
                first_name=first,
                password=DEMO_PASSWORD,
            )
    stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):\n")
    for username, role, _, _ in DEMO_USERS:
        stdout.write(f"  {username:<18} {role.label}\n")
