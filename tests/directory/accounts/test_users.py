"""Staff accounts: sign-in, passwords that are hard to guess, and sign-out that ends every session."""

from __future__ import annotations

import time
from typing import Any

import pytest

from directory.accounts.users import authenticate, create_user, password_problem
from directory.core.validation import ValidationFailed
from directory.models import User
from tests.conftest import PASSWORD, csrf_token, html, sign_in

pytestmark = pytest.mark.both_backends


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("aaaaaaaaaaaa", "Repeats"),
        ("password1234", "common password"),
        ("qwertyuiopas", "commonly used password"),
        ("short", "at least 12 characters"),
    ],
)
def test_guessable_passwords_are_refused_with_the_reason(session: Any, password: str, why: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        create_user(session, email_address="new@example.org", role="link-worker", password=password)
    assert why in refused.value.errors["password"]
    session.rollback()


def test_a_password_made_of_the_accounts_own_email_is_refused() -> None:
    assert password_problem("marjorie.hughes1", context=["marjorie.hughes@example.org", "marjorie.hughes"])
    assert password_problem("correct horse battery staple") is None


def test_a_deactivated_account_is_refused_with_the_same_work_as_a_wrong_password(session: Any, make_user: Any) -> None:
    user = make_user("link-worker")
    user.active = False
    session.commit()

    def cost(email: str, password: str) -> float:
        started = time.perf_counter()
        assert authenticate(session, email, password) is None
        return time.perf_counter() - started

    wrong = min(cost(user.email, "not the password at all") for _ in range(3))
    deactivated = min(cost(user.email, PASSWORD) for _ in range(3))
    # Before: a deactivated account answered at once (about 1 ms against about 100 ms), telling it apart.
    assert deactivated > wrong / 3


def test_a_session_cookie_copied_before_sign_out_no_longer_works_after(app: Any, make_user: Any) -> None:
    user = make_user("link-worker")
    browser = app.test_client()
    assert sign_in(browser, user.email).status_code == 302
    cookie = browser.get_cookie("session")
    assert cookie is not None
    stolen = app.test_client()
    stolen.set_cookie("session", cookie.value)
    assert stolen.get("/staff/").status_code == 200  # a copy works while the session is current
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/staff/")})
    after = stolen.get("/staff/")
    assert after.status_code == 302 and "/login" in after.headers["Location"]
    again = app.test_client()
    assert sign_in(again, user.email).status_code == 302  # signing in afresh works
    assert "Sign out" in html(again.get("/staff/")).get_text()


def test_signing_out_ends_the_accounts_other_sessions_too(app: Any, make_user: Any, session: Any) -> None:
    user = make_user("community-development")
    laptop, phone = app.test_client(), app.test_client()
    for device in (laptop, phone):
        assert sign_in(device, user.email).status_code == 302
    laptop.post("/logout", data={"csrf_token": csrf_token(laptop, "/staff/")})
    assert phone.get("/staff/").status_code == 302
    session.expire_all()
    assert session.get(User, user.id).session_version == 1
