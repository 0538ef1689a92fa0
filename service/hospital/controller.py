"""HTTP routes of /api/v1/hospital: the caller's hospital and its departments."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import JSONBody, PathParameter

from service.auth.guards import BEARER, CurrentActor, CurrentPrincipal, Db, permit
from service.auth.permissions import Permission
from service.errors import problem_responses
from service.hospital import management
from service.hospital.schemas import CreateDepartment, DepartmentRow, HospitalRow, UpdateDepartment, UpdateHospital

_READ = [permit(Permission.READ_HOSPITAL)]
_MANAGE = [permit(Permission.MANAGE_HOSPITAL)]


class HospitalController(Controller):
    path = "/hospital"
    tags = ["hospital"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    security = BEARER

    @get(
        "/",
        guards=_READ,
        operation_id="getHospital",
        summary="The caller's hospital",
        responses=problem_responses(401, 403, 503),
    )
    async def get_hospital(self, db: Db, principal: CurrentPrincipal) -> HospitalRow:
        """The hospital with its settings."""
        return await management.get_hospital(db, principal.hospital_id)

    @patch(
        "/",
        guards=_MANAGE,
        operation_id="updateHospital",
        summary="Change the hospital's details and settings",
        responses=problem_responses(400, 401, 403, 503),
    )
    async def update_hospital(
        self, db: Db, principal: CurrentPrincipal, actor: CurrentActor, data: JSONBody[UpdateHospital]
    ) -> HospitalRow:
        """Settings merge field by field at every level: `{"settings": {"ackTimeoutSeconds": {"critical": 30}}}`
        changes one value. A change applies from the next time the setting is read."""
        return await management.update_hospital(db, actor, principal.hospital_id, data)

    @get(
        "/departments",
        guards=_READ,
        operation_id="listDepartments",
        summary="The hospital's departments",
        responses=problem_responses(401, 403, 503),
    )
    async def list_departments(self, db: Db, principal: CurrentPrincipal) -> list[DepartmentRow]:
        """Every department, active or not, ordered by code."""
        return await management.list_departments(db, principal.hospital_id)

    @post(
        "/departments",
        guards=_MANAGE,
        operation_id="createDepartment",
        summary="Create a department",
        responses=problem_responses(400, 401, 403, 409, 503),
    )
    async def create_department(
        self, db: Db, principal: CurrentPrincipal, actor: CurrentActor, data: JSONBody[CreateDepartment]
    ) -> DepartmentRow:
        """A new active department; 409 when the hospital has a department with that code."""
        return await management.create_department(db, actor, principal.hospital_id, data)

    @patch(
        "/departments/{department_id:str}",  # not :uuid, so that 401 and 403 come first (see users.controller)
        guards=_MANAGE,
        operation_id="updateDepartment",
        summary="Change a department",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
    )
    async def update_department(
        self,
        db: Db,
        principal: CurrentPrincipal,
        actor: CurrentActor,
        department_id: Annotated[uuid.UUID, PathParameter(description="A department of the caller's hospital")],
        data: JSONBody[UpdateDepartment],
    ) -> DepartmentRow:
        """Renames, recodes, deactivates or reactivates a department; 409 when the new code is taken."""
        return await management.update_department(db, actor, principal.hospital_id, department_id, data)
