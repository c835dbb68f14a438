"""Password hashing with argon2id (argon2-cffi's defaults: RFC 9106's second recommended option)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
MIN_LENGTH = 15  # NIST SP 800-63B-4 section 3.1.1.2: at least 15 characters for a single-factor password


def check_password(password: str) -> str:
    """The password when it is acceptable; ValueError naming the rule otherwise."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"the password needs at least {MIN_LENGTH} characters")
    if len(password) > 1024:
        raise ValueError("the password is longer than 1024 characters")
    if len(set(password)) < 5:
        raise ValueError("the password repeats too few characters; use a passphrase")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(check_password(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# A hash of a random password, verified against when a username is unknown so that a login takes the same
# time whether or not the user exists (no username enumeration by timing).
DUMMY_HASH = _hasher.hash("not-a-real-password-" + __name__)
