"""Signing in: argon2id password hashes (argon2-cffi, never home-made), lock-out after repeated
failures, sign-in through an identity provider or a demo account, and the idle-session rule.
Every attempt, good or bad, is written to the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlmodel import Session

from models import audit
from models.access import ROLES, Viewer, viewer_for_id
from models.settings import DEMO_DOMAIN, Settings
from models.tables import AppUser

# argon2-cffi's default is RFC 9106's low-memory profile: argon2id, t=3, m=64 MiB, p=4.
HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # a megabyte "password" would only cost the server time
EMAIL_MAX = 320


class PasswordRejected(ValueError):
    """A new password that does not meet the policy; `code` names the rule for the interface."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SignInResult:
    """What a sign-in attempt gave: "ok" with the viewer, "wrong", or "locked" until a time."""

    outcome: str
    viewer: Viewer | None = None
    locked_until: datetime | None = None


def check_password_policy(password: str, *, email: str = "") -> None:
    """Length is what makes a password strong (NIST SP 800-63B): at least 12 characters, at most
    256, not the e-mail address itself."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected("too_short", f"at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected("too_long", f"at most {MAX_PASSWORD_LENGTH} characters")
    if email and password.strip().lower() == email.strip().lower():
        raise PasswordRejected("is_email", "must not be the e-mail address")


def hash_password(password: str, *, email: str = "") -> str:
    """The argon2id hash to store (salted, parameters inside); PasswordRejected under the policy."""
    check_password_policy(password, email=email)
    return HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True only for the right password; a missing or damaged hash never matches."""
    if not password_hash or len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _decoy_hash() -> str:
    return HASHER.hash("mirador decoy: equal time for unknown accounts")


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def normal_email(email: str) -> str:
    return email.strip().lower()[:EMAIL_MAX]


def user_by_email(session: Session, email: str, *, lock: bool = False) -> AppUser | None:
    stmt = select(AppUser).where(func.lower(AppUser.email) == normal_email(email))
    return session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()


def sign_in(
    *, session: Session, settings: Settings, email: str, password: str, now: datetime | None = None
) -> SignInResult:
    """Check a local account's password in the caller's transaction. After `max_failed_logins`
    wrong passwords in a row the account is locked for `lockout_min` minutes; while locked even
    the right password is refused. Unknown accounts cost the same hashing time as known ones."""
    now = now or datetime.now(UTC)
    user = user_by_email(session, email, lock=True)
    typed = normal_email(email)
    if user is None or not user.active or not user.password_hash or user.role not in ROLES:
        verify_password(_decoy_hash(), password)
        reason = "unknown" if user is None else ("inactive" if not user.active else "no_password")
        audit.record(
            session=session, actor=typed, action=audit.SIGNIN_FAILED, detail={"reason": reason}, now=now
        )
        return SignInResult("wrong")
    locked = _aware(user.locked_until)
    if locked is not None and locked > now:
        audit.record(session=session, actor=user.email, action=audit.SIGNIN_LOCKED, now=now)
        return SignInResult("locked", locked_until=locked)
    if locked is not None:  # an expired lock: a fresh series of attempts
        user.locked_until, user.failed_logins = None, 0
    if not verify_password(user.password_hash, password):
        return _failed(session, settings, user, now)
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    audit.record(
        session=session, actor=user.email, action=audit.SIGNIN, detail={"method": "password"}, now=now
    )
    return SignInResult("ok", viewer=viewer_for_id(session=session, user_id=int(user.id or 0)))


def _failed(session: Session, settings: Settings, user: AppUser, now: datetime) -> SignInResult:
    user.failed_logins = (user.failed_logins or 0) + 1
    detail: dict[str, object] = {"reason": "password", "failures": user.failed_logins}
    if user.failed_logins >= settings.max_failed_logins:
        user.locked_until = now + timedelta(minutes=settings.lockout_min)
        detail["locked_until"] = user.locked_until.isoformat()
    session.add(user)
    audit.record(session=session, actor=user.email, action=audit.SIGNIN_FAILED, detail=detail, now=now)
    if user.locked_until is not None:
        return SignInResult("locked", locked_until=user.locked_until)
    return SignInResult("wrong")


def identity_sign_in(
    *,
    session: Session,
    email: str | None,
    verified: object,  # the email_verified claim: True, False, "false" or absent (None)
    issuer: str | None,
    now: datetime | None = None,
) -> Viewer | None:
    """Map an identity provider's user to a Mirador account by e-mail. None (audited as denied)
    when there is no active account or the provider says the address is not verified."""
    now = now or datetime.now(UTC)
    typed = normal_email(email or "")
    user = user_by_email(session, typed) if typed else None
    viewer = viewer_for_id(session=session, user_id=int(user.id or 0)) if user is not None else None
    if viewer is None or str(verified).strip().lower() == "false":  # False or "false" from the claim
        reason = "email_not_verified" if viewer is not None else "no_account"
        detail = {"method": "oidc", "reason": reason, "issuer": issuer}
        audit.record(
            session=session, actor=typed or "(no e-mail)", action=audit.SIGNIN_DENIED, detail=detail, now=now
        )
        return None
    audit.record(
        session=session,
        actor=viewer,
        action=audit.SIGNIN,
        detail={"method": "oidc", "issuer": issuer},
        now=now,
    )
    return viewer


def is_demo_account(email: str) -> bool:
    return normal_email(email).endswith(DEMO_DOMAIN)


def demo_sign_in(
    *, session: Session, settings: Settings, email: str, automatic: bool = False, now: datetime | None = None
) -> Viewer | None:
    """Demo mode only: sign in as a seeded demo account without a password (None otherwise)."""
    if not settings.demo_mode or not is_demo_account(email):
        return None
    user = user_by_email(session, email)
    viewer = viewer_for_id(session=session, user_id=int(user.id or 0)) if user is not None else None
    if viewer is not None:
        detail = {"method": "demo", "automatic": automatic}
        audit.record(session=session, actor=viewer, action=audit.SIGNIN, detail=detail, now=now)
    return viewer


def record_sign_out(*, session: Session, viewer: Viewer, reason: str, now: datetime | None = None) -> None:
    """Audit the end of a session: "user" (the button) or "timeout"."""
    audit.record(session=session, actor=viewer, action=audit.SIGNOUT, detail={"reason": reason}, now=now)


def session_expired(*, last_seen: datetime | None, now: datetime, timeout_min: float) -> bool:
    """A signed-in session ends after `timeout_min` minutes without any interaction."""
    return last_seen is not None and now - last_seen > timedelta(minutes=timeout_min)


def first_run(*, session: Session) -> str | None:
    """What a new installation still lacks: "no_accounts" (nobody at all), "no_admin" (accounts but
    no active admin), or None. The sign-in screen then says which command to run."""
    roles = set(session.execute(select(AppUser.role).where(AppUser.active.is_(True)).distinct()).scalars())  # type: ignore[attr-defined]
    if not roles:
        return "no_accounts"
    return None if "admin" in roles else "no_admin"
