"""Staff accounts: password hashing (argon2), sign-in (Flask-Login), creating accounts and their areas."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask
from flask_login import LoginManager
from sqlalchemy import func, select

from ..core import vocab
from ..core.db import DbSession, db
from ..core.validation import LAD_CODE, ValidationFailed, email
from ..models import Organization, User

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to see that page."
_hasher = PasswordHasher()

MIN_PASSWORD_LENGTH = 12


def init_app(app: Flask) -> None:
    login_manager.init_app(app)


@login_manager.user_loader  # type: ignore[untyped-decorator]
def _load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        return bool(_hasher.verify(user.password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: DbSession, email_address: str, password: str) -> User | None:
    user = session.scalars(select(User).where(func.lower(User.email) == (email_address or "").strip().lower())).first()
    if user is None:
        _hasher.hash(password or "x")  # same work either way, so timing does not reveal accounts
        return None
    if not user.active or not check_password(user, password):
        return None
    return user


def create_user(
    session: DbSession,
    *,
    email_address: str,
    role: str,
    password: str,
    organization_id: int | None = None,
    team: str = "",
    area: str | Sequence[str] = "",
) -> User:
    """Add a staff account; every problem is named, and nothing is written on error."""
    errors: dict[str, str] = {}
    try:
        area_text = " ".join(parse_area(area))
    except ValueError as exc:
        errors["area"] = str(exc)
        area_text = ""
    try:
        address = email(email_address)
    except ValueError as exc:
        errors["email"] = str(exc)
        address = None
    if not address and "email" not in errors:
        errors["email"] = "An email address is needed."
    if role not in vocab.ROLES:
        errors["role"] = f"{role!r} is not a role; use one of: {', '.join(vocab.ROLES)}."
    if role == "group-editor":
        if organization_id is None:
            errors["organisation"] = "A group editor needs an organisation (--organisation ID)."
        elif session.get(Organization, organization_id) is None:
            errors["organisation"] = f"There is no organisation {organization_id}."
    elif organization_id is not None and role in vocab.ROLES:
        errors["organisation"] = "Only group editors belong to an organisation."
    if len(password or "") < MIN_PASSWORD_LENGTH:
        errors["password"] = f"Use a password of at least {MIN_PASSWORD_LENGTH} characters."
    if address and session.scalars(select(User).where(func.lower(User.email) == address.lower())).first():
        errors["email"] = f"There is already an account for {address}."
    if errors:
        raise ValidationFailed(errors)
    user = User(
        email=address,
        role=role,
        password_hash=hash_password(password),
        organization_id=organization_id,
        team=team.strip()[:255],
        area=area_text,
    )
    session.add(user)
    session.flush()
    return user


# --- the user's area (issue 4): the local authorities the gap map and table open on ---
MAX_AREA_CODES = 25  # 25 codes and their spaces fit the column


def parse_area(area: str | Sequence[str]) -> list[str]:
    """Local authority codes from text ("E06000009, E07000117") or a list; ValueError names a bad code."""
    items = [area] if isinstance(area, str) else list(area)
    parts = [part for item in items for part in re.split(r"[\s,;]+", item)]
    codes = list(dict.fromkeys(part.strip().upper() for part in parts if part.strip()))
    bad = [code for code in codes if not LAD_CODE.match(code)]
    if bad:
        what = "is not a local authority code" if len(bad) == 1 else "are not local authority codes"
        raise ValueError(f"{', '.join(bad[:3])} {what} (they look like E06000009).")
    if len(codes) > MAX_AREA_CODES:
        raise ValueError(f"An area holds at most {MAX_AREA_CODES} local authorities.")
    return codes


def area_codes(user: Any) -> list[str]:
    """The local authority codes of a signed-in user's area ([] when unset or anonymous)."""
    return str(getattr(user, "area", "") or "").split()


def set_user_area(session: DbSession, user_id: int, area: str | Sequence[str]) -> User:
    """Set (or with "" clear) an account's area; a bad code is named and nothing changes."""
    user = session.get(User, user_id)
    if user is None:
        raise ValidationFailed({"user": f"There is no account {user_id}."})
    try:
        codes = parse_area(area)
    except ValueError as exc:
        raise ValidationFailed({"area": str(exc)}) from exc
    user.area = " ".join(codes)
    return user
