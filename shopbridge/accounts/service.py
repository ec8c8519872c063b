"""People and API tokens: create, authenticate, revoke. Every change is audited."""

from __future__ import annotations

import re

from sqlmodel import Session, func, select

from shopbridge import audit
from shopbridge.accounts.models import ApiToken, Role, User
from shopbridge.db import utcnow
from shopbridge.security import (
    hash_password,
    hash_token,
    new_api_token,
    password_needs_rehash,
    verify_password,
)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10
# Verifying against a real hash when the email is unknown keeps response time from revealing which emails exist.
_DUMMY_HASH = hash_password("timing-equaliser-not-a-password")


class AccountError(ValueError):
    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def find_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(func.lower(User.email) == email.strip().lower())).first()


def create_user(session: Session, email: str, password: str, role: Role | str, *, name: str = "",
                by: User | None = None) -> User:
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise AccountError("email", "is not an email address")
    if find_by_email(session, email):
        raise AccountError("email", "a user with this email already exists")
    if len(password) < MIN_PASSWORD:
        raise AccountError("password", f"needs at least {MIN_PASSWORD} characters")
    user = User(email=email, name=name.strip(), password_hash=hash_password(password), role=Role(role))
    session.add(user)
    session.flush()
    audit.record(session, by, "user.create", user, {"email": email, "role": Role(role).value},
                 actor=None if by else "system")
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = find_by_email(session, email or "")
    if user is None or not user.is_active:
        verify_password(_DUMMY_HASH, password or "")
        return None
    if not verify_password(user.password_hash, password or ""):
        return None
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.add(user)
    return user


def set_password(session: Session, user: User, password: str, *, by: User | None = None) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError("password", f"needs at least {MIN_PASSWORD} characters")
    user.password_hash = hash_password(password)
    session.add(user)
    audit.record(session, by or user, "user.password", user)


def update_user(session: Session, user: User, *, role: Role | str | None = None, name: str | None = None,
                is_active: bool | None = None, by: User | None = None) -> User:
    before = {"role": str(user.role.value if isinstance(user.role, Role) else user.role), "name": user.name,
              "is_active": user.is_active}
    if role is not None:
        new_role = Role(role)
        if user.role == Role.owner and new_role != Role.owner and _owner_count(session) <= 1:
            raise AccountError("role", "the shop needs at least one owner")
        user.role = new_role
    if is_active is not None:
        if not is_active and user.role == Role.owner and _owner_count(session) <= 1:
            raise AccountError("is_active", "the last owner cannot be deactivated")
        user.is_active = is_active
    if name is not None:
        user.name = name.strip()
    session.add(user)
    after = {"role": Role(user.role).value, "name": user.name, "is_active": user.is_active}
    audit.record(session, by, "user.update", user, audit.diff(before, after))
    return user


def _owner_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User).where(User.role == Role.owner,
                                                                   User.is_active == True)).one()  # noqa: E712


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the plain token, which is shown once and never stored."""
    name = (name or "").strip()
    if not name:
        raise AccountError("name", "give the token a name, e.g. “catalogue sync script”")
    plain = new_api_token()
    token = ApiToken(user_id=user.id, name=name[:80], prefix=plain[:10], token_hash=hash_token(plain))
    session.add(token)
    session.flush()
    audit.record(session, user, "token.create", token, {"name": token.name, "prefix": token.prefix})
    return token, plain


def revoke_token(session: Session, token: ApiToken, *, by: User) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        audit.record(session, by, "token.revoke", token, {"name": token.name, "prefix": token.prefix})


def user_for_token(session: Session, plain: str) -> User | None:
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(plain))).first()
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    now = utcnow()
    # Writing on every API call would turn reads into writes; a minute's precision is plenty for "last used".
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
        session.add(token)
        session.commit()
    return user


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())))
