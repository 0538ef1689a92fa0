"""HTTP routes of /api/v1/users: list and read staff (head doctors, admins), manage them (admins)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post, put
from litestar.params import JSONBody, PathParameter, QueryParameter

from service.auth.guards import BEARER, CurrentActor, CurrentPrincipal, Db, permit, provide_database, provide_principal
from service.auth.permissions import Permission
from service.bodies import refuse_body
from service.errors import BadRequest, FieldError, msgspec_field_error, problem_responses
from service.users import management
from service.users.schemas import (
    BulkCreateUsers,
    ChangeRole,
    CreatedUser,
    CreatedUsers,
    CreateUser,
    Role,
    UpdateUser,
    UserPage,
    UserRow,
)
from service.validation import text_problem, trim

# The routes match any string (`{user_id:str}`) and the signature converts it to a UUID: a `:uuid` route type
# would answer a malformed id 404 before the guards run, and the contract checks 401 and 403 first, whatever the
# id. A malformed id is then 400 naming `user_id`.
UserId = Annotated[uuid.UUID, PathParameter(description="A user of the caller's hospital")]
MAX_SEARCH = 100
_READ = [permit(Permission.READ_USERS)]
_MANAGE = [permit(Permission.MANAGE_USERS)]


async def check_every_row(request: Request[Any, Any, Any]) -> None:
    """before_request of POST /users/bulk: report every bad row at once, not only the first.

    Litestar's decoding stops at the first error; this runs after the guards and before the decoding, converts
    each row on its own and, when any row is invalid, answers 400 listing it together with every problem of the
    valid rows (emails repeated in the batch or already taken, unusable departments). A body that is not even
    an object with 1..500 ``users`` is left to the normal decoding and its message; a batch whose rows all
    decode is checked by the handler itself.
    """
    try:
        body = msgspec.json.decode(await request.body())
    except msgspec.DecodeError:
        return
    rows = body.get("users") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not 1 <= len(rows) <= 500:
        return
    errors: list[FieldError] = []
    decoded: list[tuple[int, CreateUser]] = []
    for index, row in enumerate(rows):
        try:
            decoded.append((index, msgspec.convert(row, CreateUser, strict=False)))
        except msgspec.ValidationError as exc:
            errors.append(msgspec_field_error(exc, f"users[{index}]"))
    if not errors:
        return
    invalid, conflicts = await management.batch_problems(
        provide_database(request), provide_principal(request).hospital_id, decoded, bulk=True
    )
    raise BadRequest(
        "the users are not valid; nothing was created",
        errors=sorted(errors + invalid + conflicts, key=lambda e: management.row_order(e.field)),
    )


class UsersController(Controller):
    path = "/users"
    tags = ["users"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    security = BEARER

    @get(
        "/",
        guards=_READ,
        operation_id="listUsers",
        summary="List the hospital's users",
        responses=problem_responses(400, 401, 403, 503),
    )
    async def list_users(
        self,
        db: Db,
        principal: CurrentPrincipal,
        page: Annotated[int, QueryParameter(ge=1, description="1-based page number")] = 1,
        limit: Annotated[int, QueryParameter(ge=1, le=100, description="Users per page")] = 20,
        search: Annotated[
            str | None,
            QueryParameter(
                max_length=1000,  # a raw bound; the 100-character limit applies once trimmed, below
                schema_extra={"maxLength": MAX_SEARCH},
                description="Case-insensitive substring of name or email (trimmed, then at most 100 characters)",
            ),
        ] = None,
        role: Annotated[Role | None, QueryParameter(description="Only users of this role")] = None,
        department_id: Annotated[uuid.UUID | None, QueryParameter(name="departmentId")] = None,
        is_active: Annotated[bool | None, QueryParameter(name="isActive")] = None,
    ) -> UserPage:
        """One page of the hospital's users, ordered by name, then id. A page past the end has no users and the
        true total."""
        search = trim(search) if search else None
        problem = text_problem(search, 0, MAX_SEARCH) if search else None
        if problem:
            raise BadRequest("the request is not valid", errors=[FieldError("search", problem)])
        return await management.list_users(
            db,
            principal.hospital_id,
            page=page,
            limit=limit,
            search=search,
            role=role,
            department_id=department_id,
            is_active=is_active,
        )

    @get(
        "/{user_id:str}",
        guards=_READ,
        operation_id="getUser",
        summary="One user",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def get_user(self, db: Db, principal: CurrentPrincipal, user_id: UserId) -> UserRow:
        """A user of the caller's hospital; 404 for any other id."""
        return await management.get_user(db, principal.hospital_id, user_id)

    @post(
        "/",
        guards=_MANAGE,
        operation_id="createUser",
        summary="Create a user",
        responses=problem_responses(400, 401, 403, 409, 503),
    )
    async def create_user(
        self, db: Db, principal: CurrentPrincipal, actor: CurrentActor, data: JSONBody[CreateUser]
    ) -> CreatedUser:
        """A new user with a random temporary password, shown once and valid 72 hours: the user must change it
        before anything else. `role` may not be `admin` here. 409 when the email is taken (in any hospital)."""
        created = await management.create_users(db, actor, principal.hospital_id, [data], bulk=False)
        return created[0]

    @post(
        "/bulk",
        guards=_MANAGE,
        before_request=check_every_row,
        operation_id="createUsersInBulk",
        summary="Create 1..500 users, all or nothing",
        responses=problem_responses(400, 401, 403, 409, 503),
    )
    async def create_users(
        self, db: Db, principal: CurrentPrincipal, actor: CurrentActor, data: JSONBody[BulkCreateUsers]
    ) -> CreatedUsers:
        """Creates every user or none. Each problem names its row (`users[3].email`): 400 for invalid rows and
        emails repeated in the batch, 409 when the only problems are emails already taken."""
        return CreatedUsers(
            users=await management.create_users(db, actor, principal.hospital_id, data.users, bulk=True)
        )

    @patch(
        "/{user_id:str}",
        guards=_MANAGE,
        operation_id="updateUser",
        summary="Change a user's profile",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def update_user(
        self, db: Db, principal: CurrentPrincipal, actor: CurrentActor, user_id: UserId, data: JSONBody[UpdateUser]
    ) -> UserRow:
        """Changes the fields given; `null` clears one (not `name`). Role and active state have routes of their own."""
        return await management.update_user(db, actor, principal.hospital_id, user_id, data)

    @put(
        "/{user_id:str}/role",
        guards=_MANAGE,
        operation_id="changeUserRole",
        summary="Change a user's role",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
    )
    async def change_role(
        self, db: Db, principal: CurrentPrincipal, actor: CurrentActor, user_id: UserId, data: JSONBody[ChangeRole]
    ) -> UserRow:
        """Gives the user another role and revokes its sessions. 409 when it would demote the hospital's last
        active admin."""
        return await management.change_role(db, actor, principal.hospital_id, user_id, data.role)

    @post(
        "/{user_id:str}/deactivate",
        guards=_MANAGE,
        before_request=refuse_body,
        status_code=200,
        operation_id="deactivateUser",
        summary="Deactivate a user",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
    )
    async def deactivate(self, db: Db, principal: CurrentPrincipal, actor: CurrentActor, user_id: UserId) -> UserRow:
        """The user can no longer log in, and every session of theirs is revoked. 409 for the hospital's last
        active admin."""
        return await management.set_active(db, actor, principal.hospital_id, user_id, active=False)

    @post(
        "/{user_id:str}/activate",
        guards=_MANAGE,
        before_request=refuse_body,
        status_code=200,
        operation_id="activateUser",
        summary="Activate a user",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def activate(self, db: Db, principal: CurrentPrincipal, actor: CurrentActor, user_id: UserId) -> UserRow:
        """The user may log in again; an active user is returned unchanged."""
        return await management.set_active(db, actor, principal.hospital_id, user_id, active=True)

    @post(
        "/{user_id:str}/unlock",
        guards=_MANAGE,
        before_request=refuse_body,
        status_code=200,
        operation_id="unlockUser",
        summary="Unlock a user",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def unlock(self, db: Db, principal: CurrentPrincipal, actor: CurrentActor, user_id: UserId) -> UserRow:
        """Clears the user's lock, failure count and lockout doubling."""
        return await management.unlock(db, actor, principal.hospital_id, user_id)
