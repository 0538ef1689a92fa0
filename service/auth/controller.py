"""HTTP routes of /api/v1/auth: login (two steps), logout, the caller's own user, password, 2FA."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody

from service.auth import account, login
from service.auth.guards import (
    BEARER,
    PASSWORD_CHANGE_ALLOWED,
    PUBLIC,
    CurrentActor,
    CurrentPrincipal,
    Db,
    anonymous_actor,
    permit,
)
from service.auth.permissions import Permission
from service.auth.schemas import (
    BackupCodesResponse,
    LoginRequest,
    LoginResponse,
    PasswordChangeRequest,
    TwoFactorChallengeResponse,
    TwoFactorConfirmRequest,
    TwoFactorDisableRequest,
    TwoFactorLoginRequest,
    TwoFactorSetupResponse,
)
from service.bodies import refuse_body
from service.config import Settings
from service.db import sql
from service.errors import problem_responses
from service.users.schemas import UserRow


def _settings(request: Request[Any, Any, Any]) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @post(
        "/login",
        opt=PUBLIC,
        security=[],
        status_code=200,
        operation_id="login",
        summary="Log in with email and password",
        responses=problem_responses(400, 401, 429, 503),
    )
    async def login(
        self, request: Request[Any, Any, Any], db: Db, data: JSONBody[LoginRequest]
    ) -> LoginResponse | TwoFactorChallengeResponse:
        """A session token for a right email and password; for an account with 2FA, a challenge token to
        trade with a code at `POST /login/2fa`. Every failure (unknown email, wrong password, inactive or locked
        account) is the same 401. At most `HOSPITAL_ALERTS_LOGIN_RATE_PER_MINUTE` attempts per client address
        and minute (429 with Retry-After)."""
        actor = anonymous_actor(request)
        await login.enforce_login_rate(db, actor, _settings(request).login_rate_per_minute)
        return await login.login(db, actor, data.email, data.password)

    @post(
        "/login/2fa",
        opt=PUBLIC,
        security=[],
        status_code=200,
        operation_id="loginTwoFactor",
        summary="Complete a two-factor login with a code",
        responses=problem_responses(400, 401, 429, 503),
    )
    async def login_two_factor(
        self, request: Request[Any, Any, Any], db: Db, data: JSONBody[TwoFactorLoginRequest]
    ) -> LoginResponse:
        """Trade a challenge token (single use, valid 5 minutes, dead after 5 wrong codes) and a TOTP code or
        an unused backup code for a session. A TOTP time step is accepted once."""
        actor = anonymous_actor(request)
        await login.enforce_login_rate(db, actor, _settings(request).login_rate_per_minute)
        return await login.login_two_factor(db, request.app.state.secret_box, actor, data.challenge_token, data.code)

    @post(
        "/logout",
        security=BEARER,
        opt=PASSWORD_CHANGE_ALLOWED,
        before_request=refuse_body,
        status_code=204,
        operation_id="logout",
        summary="Log out (revoke this token)",
        responses=problem_responses(400, 401, 503),
    )
    async def logout(self, db: Db, principal: CurrentPrincipal, actor: CurrentActor) -> None:
        """Revokes the token of this request; it answers 401 from now on."""
        await account.logout(db, principal, actor)

    @get(
        "/me",
        security=BEARER,
        opt=PASSWORD_CHANGE_ALLOWED,
        guards=[permit(Permission.READ_SELF)],
        operation_id="getMe",
        summary="The caller's own user",
        responses=problem_responses(401, 503),
    )
    async def me(self, db: Db, principal: CurrentPrincipal) -> UserRow:
        """The user this token belongs to."""
        async with db.connection() as conn:
            user = await sql.users.get_user.one(conn, principal.hospital_id, principal.user_id)
        assert user is not None  # authenticate found the user active a moment ago; users are never deleted
        return user

    @post(
        "/password",
        security=BEARER,
        opt=PASSWORD_CHANGE_ALLOWED,
        status_code=204,
        operation_id="changePassword",
        summary="Change the caller's password",
        responses=problem_responses(400, 401, 503),
    )
    async def change_password(
        self, db: Db, principal: CurrentPrincipal, actor: CurrentActor, data: JSONBody[PasswordChangeRequest]
    ) -> None:
        """Sets a new password (12..128 characters) and revokes the user's other sessions. A wrong
        `currentPassword` is 400 naming it, and counts toward lockout."""
        await account.change_password(db, principal, actor, data.current_password, data.new_password)

    @post(
        "/2fa/setup",
        security=BEARER,
        before_request=refuse_body,
        status_code=200,
        operation_id="setUpTwoFactor",
        summary="Start setting up TOTP two-factor authentication",
        responses=problem_responses(400, 401, 403, 409, 503),
    )
    async def setup_two_factor(
        self, request: Request[Any, Any, Any], db: Db, principal: CurrentPrincipal, actor: CurrentActor
    ) -> TwoFactorSetupResponse:
        """A new TOTP secret and its `otpauth://` URI (for a QR code). 2FA stays off until `POST /2fa/confirm`
        with a valid code; 409 when it is on already."""
        return await account.start_two_factor(db, request.app.state.secret_box, principal, actor)

    @post(
        "/2fa/confirm",
        security=BEARER,
        status_code=200,
        operation_id="confirmTwoFactor",
        summary="Turn two-factor authentication on",
        responses=problem_responses(400, 401, 403, 409, 503),
    )
    async def confirm_two_factor(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        principal: CurrentPrincipal,
        actor: CurrentActor,
        data: JSONBody[TwoFactorConfirmRequest],
    ) -> BackupCodesResponse:
        """Turns 2FA on with a valid code for the pending secret and returns ten one-time backup codes, shown
        this once. The confirming code's time step counts as used."""
        return await account.confirm_two_factor(db, request.app.state.secret_box, principal, actor, data.code)

    @post(
        "/2fa/disable",
        security=BEARER,
        status_code=204,
        operation_id="disableTwoFactor",
        summary="Turn two-factor authentication off",
        responses=problem_responses(400, 401, 403, 409, 503),
    )
    async def disable_two_factor(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        principal: CurrentPrincipal,
        actor: CurrentActor,
        data: JSONBody[TwoFactorDisableRequest],
    ) -> None:
        """Turns 2FA off, given the password and a TOTP or backup code, and revokes the user's other sessions.
        A wrong password or code is 400 naming the field and counts toward lockout."""
        await account.disable_two_factor(db, request.app.state.secret_box, principal, actor, data.password, data.code)
