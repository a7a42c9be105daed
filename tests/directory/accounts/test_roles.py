"""Roles (directory/accounts/roles.py): the check domain functions make before they write."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from directory.accounts.roles import require_role
from directory.core.writes import NotPermitted


def test_a_user_with_one_of_the_roles_may() -> None:
    require_role(SimpleNamespace(is_authenticated=True, role="admin"), ("admin", "link-worker"), "flag a gap")


@pytest.mark.parametrize(
    "user",
    [
        SimpleNamespace(is_authenticated=True, role="group-editor"),
        SimpleNamespace(is_authenticated=False, role="admin"),
        SimpleNamespace(role="admin"),
    ],
)
def test_anyone_else_is_refused_with_the_roles_that_may(user: SimpleNamespace) -> None:
    with pytest.raises(NotPermitted) as refused:
        require_role(user, ("admin", "link-worker"), "flag a gap")
    assert str(refused.value) == "Only these roles may flag a gap: admin, link-worker."
