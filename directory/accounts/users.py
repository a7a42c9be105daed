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
from zxcvbn import zxcvbn

from ..core import vocab
from ..core.db import DbSession, db
from ..core.validation import LAD_CODE, ValidationFailed, email
from ..models import Organization, User

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to see that page."
_hasher = PasswordHasher()

MIN_PASSWORD_LENGTH = 12
MIN_PASSWORD_SCORE = 3  # zxcvbn's 0-4: 3 resists an online attacker comfortably, with rate limits on top


def init_app(app: Flask) -> None:
    login_manager.init_app(app)


@login_manager.user_loader  # type: ignore[untyped-decorator]
def _load_user(session_id: str) -> User | None:
    """The user a session names, if the session is still current (made since their last sign-out)."""
    user_id, _, version = session_id.partition(".")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version) or not user.active:
        return None
    return user


def end_sessions(session: DbSession, user: User) -> None:
    """Sign this user out everywhere: every session cookie made before now stops working."""
    user.session_version = (user.session_version or 0) + 1


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
    # The password is checked before the account's state, so a deactivated account costs the same time to refuse.
    if not check_password(user, password) or not user.active:
        return None
    return user


def password_problem(password: str, *, context: Sequence[str] = ()) -> str | None:
    """Why a new password is not good enough, or None: too short, or common, repeated, a keyboard pattern or
    made of the account's own details (NIST SP 800-63B: check against such lists, no composition rules)."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return f"Use a password of at least {MIN_PASSWORD_LENGTH} characters."
    verdict = zxcvbn(password[:100], user_inputs=[word for word in context if word])
    if verdict["score"] < MIN_PASSWORD_SCORE:
        why = verdict["feedback"].get("warning") or "It would be easy to guess."
        return f"Choose a harder password: {why.rstrip('.')}. A few unrelated words make a good one."
    return None


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
    weak = password_problem(password, context=[email_address or "", *(email_address or "").split("@")])
    if weak:
        errors["password"] = weak
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
