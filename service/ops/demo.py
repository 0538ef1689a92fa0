"""Demo data: two hospitals, several departments each, a user of every role, some alerts.

Ids are derived from names (uuid5), and every insert skips what exists, so running the seed twice changes
nothing. Every row created is audited like any other change, as done by the command line.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from service.alerts.events import publish
from service.audit.schemas import CLI_ACTOR
from service.audit.writer import record
from service.auth.passwords import hash_password_async
from service.db import sql
from service.hospital.tenants import create_department, create_hospital
from service.users.accounts import create_user
from service.users.schemas import Role

DEMO_PASSWORD = "demo-password-2026"
_NAMESPACE = uuid.UUID("5b2b6a57-3f0e-4c39-9a43-0d1c8a1e6f10")


def demo_id(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{kind}:{key}")


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: Role
    department: str | None
    license_number: str | None = None
    specialization: str | None = None


@dataclass(frozen=True)
class DemoAlert:
    key: str
    department: str
    title: str
    priority: str
    alert_type: str
    room: str | None
    description: str | None
    created_by: str


@dataclass(frozen=True)
class DemoHospital:
    key: str
    name: str
    address: str
    phone: str
    license_number: str
    departments: tuple[tuple[str, str], ...]
    users: tuple[DemoUser, ...]
    alerts: tuple[DemoAlert, ...]


HOSPITALS: tuple[DemoHospital, ...] = (
    DemoHospital(
        key="st-marys",
        name="St. Mary's General Hospital",
        address="12 Harbour Road, Springfield",
        phone="+1 555 0100",
        license_number="HOSP-1001",
        departments=(("ER", "Emergency"), ("ICU", "Intensive Care"), ("CARD", "Cardiology"), ("PED", "Pediatrics")),
        users=(
            DemoUser("admin@st-marys.example", "Alex Admin", "admin", None),
            DemoUser(
                "head.doctor@st-marys.example", "Dr. Helen Head", "head_doctor", "ER", "MD-20001", "Emergency medicine"
            ),
            DemoUser("doctor.card@st-marys.example", "Dr. Carl Heart", "doctor", "CARD", "MD-20002", "Cardiology"),
            DemoUser("doctor.er@st-marys.example", "Dr. Erin Quick", "doctor", "ER", "MD-20003", "Emergency medicine"),
            DemoUser("nurse.icu@st-marys.example", "Nina Nurse", "nurse", "ICU", "RN-30001"),
            DemoUser("nurse.er@st-marys.example", "Noah Nurse", "nurse", "ER", "RN-30002"),
            DemoUser("operator@st-marys.example", "Olga Operator", "operator", "ER"),
        ),
        alerts=(
            DemoAlert(
                "cardiac-412",
                "CARD",
                "Cardiac arrest",
                "critical",
                "medical",
                "412",
                "Patient unresponsive, CPR in progress.",
                "operator@st-marys.example",
            ),
            DemoAlert(
                "fire-ward-b",
                "ER",
                "Smoke detected on ward B",
                "high",
                "fire",
                "B-2",
                "Smoke alarm triggered near the supply room.",
                "operator@st-marys.example",
            ),
            DemoAlert(
                "icu-monitor",
                "ICU",
                "Monitor disconnected",
                "medium",
                "medical",
                "ICU-7",
                None,
                "head.doctor@st-marys.example",
            ),
            DemoAlert(
                "ped-visitor",
                "PED",
                "Unregistered visitor",
                "low",
                "security",
                "P-14",
                None,
                "operator@st-marys.example",
            ),
        ),
    ),
    DemoHospital(
        key="riverside",
        name="Riverside Community Hospital",
        address="400 River Street, Shelbyville",
        phone="+1 555 0200",
        license_number="HOSP-2002",
        departments=(("ER", "Emergency"), ("SURG", "Surgery"), ("MAT", "Maternity")),
        users=(
            DemoUser("admin@riverside.example", "Riley Admin", "admin", None),
            DemoUser("head.doctor@riverside.example", "Dr. Harper Chief", "head_doctor", "SURG", "MD-40001", "Surgery"),
            DemoUser("doctor@riverside.example", "Dr. Sam Scalpel", "doctor", "SURG", "MD-40002", "General surgery"),
            DemoUser("nurse@riverside.example", "Mia Midwife", "nurse", "MAT", "RN-50001"),
            DemoUser("operator@riverside.example", "Oscar Operator", "operator", "ER"),
        ),
        alerts=(
            DemoAlert(
                "er-trauma",
                "ER",
                "Trauma team to bay 3",
                "high",
                "medical",
                "ER-3",
                "Motorcycle accident, two casualties arriving.",
                "operator@riverside.example",
            ),
        ),
    ),
)


@dataclass
class SeedReport:
    hospitals: int = 0
    departments: int = 0
    users: int = 0
    alerts: int = 0

    @property
    def changed(self) -> bool:
        return any((self.hospitals, self.departments, self.users, self.alerts))


async def seed_demo(conn: asyncpg.Connection, progress: Callable[[str], None] = print) -> SeedReport:
    """Insert whatever part of the demo data is missing, in one transaction; returns what was created."""
    report = SeedReport()
    password_hash = await hash_password_async(DEMO_PASSWORD)
    async with conn.transaction():
        for hospital in HOSPITALS:
            await _seed_hospital(conn, hospital, password_hash, report)
            progress(f"  {hospital.name}: ready")
    return report


async def _seed_hospital(
    conn: asyncpg.Connection, hospital: DemoHospital, password_hash: str, report: SeedReport
) -> None:
    hospital_id = demo_id("hospital", hospital.key)
    demo = {"demo": True}
    if await create_hospital(
        conn,
        CLI_ACTOR,
        hospital_id,
        hospital.name,
        address=hospital.address,
        phone=hospital.phone,
        license_number=hospital.license_number,
        metadata=demo,
    ):
        report.hospitals += 1

    departments: dict[str, uuid.UUID] = {}
    for code, name in hospital.departments:
        departments[code] = demo_id("department", f"{hospital.key}:{code}")
        if await create_department(conn, CLI_ACTOR, hospital_id, departments[code], name, code, metadata=demo):
            report.departments += 1

    users: dict[str, uuid.UUID] = {}
    for user in hospital.users:
        users[user.email] = demo_id("user", user.email)
        created = await create_user(
            conn,
            CLI_ACTOR,
            hospital_id,
            user_id=users[user.email],
            email=user.email,
            name=user.name,
            role=user.role,
            password_hash=password_hash,
            department_id=departments[user.department] if user.department else None,
            license_number=user.license_number,
            specialization=user.specialization,
            metadata=demo,
        )
        if created is not None:
            report.users += 1

    for alert in hospital.alerts:
        alert_id = demo_id("alert", f"{hospital.key}:{alert.key}")
        row = await sql.alerts.create_alert.one(
            conn,
            hospital_id,
            alert_id,
            departments[alert.department],
            alert.title,
            alert.description,
            alert.priority,
            alert.alert_type,
            alert.room,
            None,
            users[alert.created_by],
        )
        if row is not None:
            report.alerts += 1
            await publish(conn, "alert.created", row)
            await record(
                conn,
                CLI_ACTOR,
                "alert.create",
                resource="alert",
                resource_id=alert_id,
                hospital_id=hospital_id,
                metadata={"priority": alert.priority, "department": alert.department, **demo},
            )


def demo_hospital_ids() -> list[uuid.UUID]:
    """The ids serve --demo gives its hospitals (a production serve refuses a database holding any of them)."""
    return [demo_id("hospital", hospital.key) for hospital in HOSPITALS]
