"""Service users and the service's own keys. The store keeps password hashes only; hashing and checking
passwords is the service's job (service/passwords.py)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import tables as t
from .common import StoreError, _now

ROLES = ("admin", "clinician", "researcher")
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    active: bool = True


def _user(row: t.User) -> User:
    return User(row.id, row.username, row.role, bool(row.active))


def check_username(username: str) -> str:
    if not 1 <= len(username) <= 100 or not set(username) <= USERNAME_CHARS:
        raise StoreError(f"username {username!r}: use 1 to 100 letters, digits, '.', '_', '-' or '@'")
    return username


def add_user(store, username: str, password_hash: str, role: str) -> User:
    """A new user; the username must be free and the role one of ROLES."""
    if role not in ROLES:
        raise StoreError(f"role {role!r}: allowed: {', '.join(ROLES)}")
    check_username(username)
    try:
        with Session(store.engine) as s, s.begin():
            row = t.User(username=username, password_hash=password_hash, role=role, created_at=_now(), active=True)
            s.add(row)
            s.flush()
            return _user(row)
    except IntegrityError:
        raise StoreError(f"user {username!r} exists already; choose another username") from None


def user_by_name(store, username: str) -> tuple[User, str] | None:
    """(user, password hash), or None when there is no such user."""
    with Session(store.engine) as s:
        row = s.scalar(select(t.User).where(t.User.username == username))
        return None if row is None else (_user(row), row.password_hash)


def user_by_id(store, user_id: int) -> User | None:
    with Session(store.engine) as s:
        row = s.get(t.User, user_id)
        return None if row is None else _user(row)


def set_password_hash(store, user_id: int, password_hash: str) -> None:
    """Replace a user's hash (argon2 parameters raised since it was made, or a new password)."""
    with Session(store.engine) as s, s.begin():
        row = s.get(t.User, user_id)
        if row is None:
            raise StoreError(f"no user {user_id}")
        row.password_hash = password_hash


def has_admin(store) -> bool:
    with Session(store.engine) as s:
        return bool(s.scalar(select(func.count()).select_from(t.User).where(t.User.role == "admin",
                                                                            t.User.active.is_(True))))


def users(store) -> list[User]:
    with Session(store.engine) as s:
        return [_user(r) for r in s.scalars(select(t.User).order_by(t.User.username))]


def service_key(store, name: str) -> str:
    """The named secret, made once (256 random bits) and kept in the store; concurrent first starts agree
    on one value (the loser of the insert reads the winner's)."""
    with Session(store.engine) as s:
        row = s.get(t.ServiceKey, name)
        if row is not None:
            return row.value
    try:
        with Session(store.engine) as s, s.begin():
            s.add(t.ServiceKey(name=name, value=secrets.token_urlsafe(32)))
    except IntegrityError:
        pass
    with Session(store.engine) as s:
        return s.get(t.ServiceKey, name).value
