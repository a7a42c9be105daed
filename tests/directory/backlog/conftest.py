"""Shared by the backlog's tests: postcodes with their LSOAs and MSOAs, one account per part, a flag factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from directory.accounts.users import create_user
from directory.backlog import flags
from directory.core.db import db
from directory.models import Postcode, User
from directory.models.backlog import LsoaMsoa
from tests.conftest import PASSWORD

# Two LSOAs in one MSOA, a third in another MSOA, and a fourth whose MSOA the lookup does not know.
POSTCODES = (
    ("FY1 1AD", 53.8170, -3.0540, "E01012671", "E06000009"),
    ("FY1 2AA", 53.8260, -3.0540, "E01012672", "E06000009"),
    ("FY1 3AB", 53.8080, -3.0540, "E01012673", "E06000009"),
    ("BB11 2DL", 53.7890, -2.2450, "E01024999", "E07000117"),
)
MSOAS = {"E01012671": "E02002630", "E01012672": "E02002630", "E01012673": "E02002631"}


@pytest.fixture(scope="module")
def postcodes_and_msoas(app: Flask) -> Iterator[None]:
    """The postcodes above in the postcode table and their LSOAs in the MSOA lookup, once per module."""
    with app.app_context():
        for pcds, lat, lon, lsoa, lad in POSTCODES:
            db.session.add(Postcode(postcode_key=pcds.replace(" ", ""), pcds=pcds, latitude=lat, longitude=lon,
                                    lsoa_code=lsoa, lad_code=lad))  # fmt: skip
        for lsoa, msoa in MSOAS.items():
            db.session.add(LsoaMsoa(lsoa_code=lsoa, msoa_code=msoa))
        db.session.commit()
        db.session.remove()
    yield


@pytest.fixture
def flag(session: Any, postcodes_and_msoas: None) -> Callable[..., flags.FlagSaved]:
    """Records a flag for a carers' group near FY1 1AD unless told otherwise.

    Each test uses its own category (or its own MSOA), so items from other tests in the module never join.
    """

    def make(user: Any, **values: Any) -> flags.FlagSaved:
        data = {
            "category": "carers",
            "postcode": "FY1 1AD",
            "population_group": "carers",
            "description": "No evening carers group within two buses.",
            "urgency": "medium",
        }
        data.update(values)
        saved = flags.record_flag(session, data, user)
        session.commit()
        return saved

    return make


@pytest.fixture(scope="module")
def people_ids(app: Flask) -> dict[str, int]:
    """One account per part, made once per module (argon2 hashing is slow on purpose)."""
    roles = {"worker": ("link-worker", "Blackpool PCN"), "other_worker": ("link-worker", "Fylde PCN"),
             "cdw": ("community-development", ""), "admin": ("admin", "")}  # fmt: skip
    with app.app_context():
        ids = {
            name: create_user(db.session, email_address=f"backlog-{name}@example.org", role=role,
                              password=PASSWORD, team=team).id
            for name, (role, team) in roles.items()
        }  # fmt: skip
        db.session.commit()
        db.session.remove()
    return ids


@pytest.fixture
def people(session: Any, people_ids: dict[str, int]) -> dict[str, Any]:
    return {name: session.get(User, user_id) for name, user_id in people_ids.items()}
