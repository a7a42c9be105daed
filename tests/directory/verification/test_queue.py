"""The staff follow-up queue puts first the listings whose errors would do most harm."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from directory.core.clock import utcnow
from directory.models import DemandEvent, Postcode
from directory.models.gaps import Deprivation
from directory.verification.evidence import after_link_worker_report, report_closed
from directory.verification.follow_ups import queue_follow_up, report_from_listing
from directory.verification.queue import prioritised
from tests.conftest import html

AREAS = {"FY1 1QA": ("E01900101", 1), "FY1 1QB": ("E01900102", 9), "FY1 1QD": ("E01900103", None)}


def _place(session: Any) -> None:
    if session.get(Postcode, "FY11QA") is not None:
        return  # one database per module: placed by an earlier test
    for pcds, (lsoa, decile) in AREAS.items():
        session.add(Postcode(postcode_key=pcds.replace(" ", ""), pcds=pcds, latitude=53.8, longitude=-3.05,
                             lsoa_code=lsoa, lad_code="E06000009"))  # fmt: skip
        if decile is not None:
            session.add(Deprivation(lsoa_code=lsoa, edition="2011", lad_code="E06000009", source_kind="test",
                                    imd_decile=decile, imd_rank=decile * 3000))  # fmt: skip
    session.commit()


def test_deprivation_staleness_and_signposting_order_the_queue(app: Any, make_service: Any, session: Any) -> None:
    _place(session)
    now = utcnow()
    old = (now - timedelta(days=540)).isoformat(timespec="seconds")
    recent = (now - timedelta(days=30)).isoformat(timespec="seconds")

    def at(pcds: str) -> list[dict[str, str]]:
        return [{"name": "Hall", "address_1": "1 Road", "postcode": pcds}]

    deprived_stale = make_service(name="Deprived and stale", locations=at("FY1 1QA"), last_verified_at=old)
    deprived_fresh = make_service(name="Deprived, fresh", locations=at("FY1 1QA"), last_verified_at=recent)
    affluent_stale = make_service(name="Affluent and stale", locations=at("FY1 1QB"), last_verified_at=old)
    unknown = make_service(name="Unknown area, busy", locations=at("FY1 1QD"), last_verified_at=old)
    for _ in range(20):
        session.add(DemandEvent(kind="signposting", category_code="arts-crafts", service_id=unknown.id,
                                lsoa_code="E01900103", occurred_on=date.today()))  # fmt: skip
    session.commit()
    for service in (affluent_stale, deprived_fresh, unknown, deprived_stale):
        report_from_listing(session, service.id, "details-wrong", "", reported_by="staff: t@example.org")
    from directory.verification.follow_ups import open_follow_ups

    queue = prioritised(session, open_follow_ups(session), app.config, now=now)
    names = [p.follow_up.service.name for p in queue if p.follow_up.service.name in {
        "Deprived and stale", "Deprived, fresh", "Affluent and stale", "Unknown area, busy"}]  # fmt: skip
    # P(wrong): checked 540 days ago, prior 1 − 2^(−540/365) ≈ 0.641, odds 1.78 × 6 (details wrong) → 0.915;
    # checked 30 days ago, prior ≈ 0.055, odds 0.059 × 6 → 0.26. P(closed) is the age alone (a detail reported wrong
    # says nothing of a closure): 1 − 0.8^(540/365) ≈ 0.281 and 1 − 0.8^(30/365) ≈ 0.018. Weighed: the closure in
    # full and a quarter of the rest (DETAIL_HARM): 0.281 + 0.25 × 0.634 ≈ 0.440 and 0.018 + 0.25 × 0.242 ≈ 0.079.
    # Harm = that × (1 + ln(1 + signposted)) × deprivation: busy 0.440 × 4.04 × 0.5 ≈ 0.89; deprived stale 0.440 × 1.0;
    # affluent stale 0.440 × 0.2 ≈ 0.088; deprived fresh 0.079 × 1.0
    assert names == ["Unknown area, busy", "Deprived and stale", "Affluent and stale", "Deprived, fresh"]
    top = next(p for p in queue if p.follow_up.service.name == "Deprived and stale")
    assert top.decile == 1 and abs(top.harm - 0.440) < 0.002 and "reaches IMD decile 1" in top.reasons
    assert "91% likely wrong" in top.reasons and "details-wrong" in top.reasons


def test_the_follow_up_page_shows_the_priority_and_why(signed_in: Any, make_service: Any, session: Any) -> None:
    _place(session)
    service = make_service(name="Priority shown", locations=[{"name": "Hall", "postcode": "FY1 1QA"}])
    report_from_listing(session, service.id, "reported-stopped", "", reported_by="staff: t@example.org")
    page = html(signed_in("community-development").get("/staff/follow-ups"))
    row = next(tr for tr in page.select("tbody tr") if "Priority shown" in tr.get_text())
    assert "reaches IMD decile 1" in row.get_text() and "signposted 0 times" in row.get_text()


def test_a_call_goes_where_it_would_change_what_link_workers_see(
    signed_in: Any, make_service: Any, session: Any
) -> None:
    """A listing two link workers reported closed is already out of sight: the call that matters more is to a listing
    shown as running whose funding ended, unanswerable by email."""
    _place(session)
    now = utcnow()
    recent = (now - timedelta(days=20)).isoformat(timespec="seconds")
    here = [{"name": "Hall", "postcode": "FY1 1QA"}]
    reported = make_service(name="Reported by two workers", locations=here, last_verified_at=recent)
    ended = make_service(
        name="Funding ended, no email",
        locations=here,
        last_verified_at=recent,
        funding_status="time-limited",
        funded_until=(now - timedelta(days=2)).date().isoformat(),
    )
    for worker in ("w1", "w2"):
        report_closed(session, reported.id, "", reported_by=f"staff: {worker}@example.org")
    assert after_link_worker_report(session, reported.id)  # two independent reports: out of default results
    queue_follow_up(session, ended.id, "funding-ended", cycle="ended", detail="Funding ended.")
    session.commit()
    page = html(signed_in("community-development").get("/staff/follow-ups"))
    rows = [tr.get_text(" ", strip=True) for tr in page.select("tbody tr")]
    order = [name for text in rows for name in ("Funding ended, no email", "Reported by two workers") if name in text]
    # Funding ended: at least 30% likely closed while shown as running. Reported: a first report sets the odds of a
    # closure to 70:30, a second independent one multiplies them by 8 (95%), so 5% likely running after all. Same
    # use and deprivation, so the funding end comes first.
    assert order == ["Funding ended, no email", "Reported by two workers"]
    [reported_row] = [text for text in rows if "Reported by two workers" in text]
    assert "5% likely running after all" in reported_row
    assert "likely running after all, though sunk or out of search" in reported_row


def test_a_listing_no_reminder_can_settle_is_called_before_an_equally_doubtful_one_that_can_answer(
    signed_in: Any, make_service: Any, session: Any
) -> None:
    """Two listings shown as running whose funding ended, equally likely closed: one has an email address (the round
    its funding end started will settle it, answered or not), the other can only be settled by a call."""
    _place(session)
    now = utcnow()
    recent = (now - timedelta(days=20)).isoformat(timespec="seconds")
    ended = (now - timedelta(days=2)).date().isoformat()
    here = [{"name": "Hall", "postcode": "FY1 1QA"}]
    emailed = make_service(name="Ended, can be emailed", locations=here, last_verified_at=recent,
                           funding_status="time-limited", funded_until=ended)  # fmt: skip
    unreachable = make_service(name="Ended, cannot be emailed", locations=here, last_verified_at=recent,
                               funding_status="time-limited", funded_until=ended)  # fmt: skip
    queue_follow_up(session, emailed.id, "funding-ended", cycle="ended", detail="Funding ended.")
    queue_follow_up(session, unreachable.id, "funding-ended", cycle="ended", detail="Funding ended.")
    queue_follow_up(session, unreachable.id, "no-email", cycle="ended", detail="The contact has no email address.")
    session.commit()
    page = html(signed_in("community-development").get("/staff/follow-ups"))
    rows = [tr.get_text(" ", strip=True) for tr in page.select("tbody tr")]
    order = [name for text in rows for name in ("Ended, cannot be emailed", "Ended, can be emailed") if name in text]
    assert order == ["Ended, cannot be emailed", "Ended, can be emailed"]  # the older evidence no longer wins the tie


def test_a_likely_closure_is_called_before_a_likely_changed_detail(make_service: Any, session: Any) -> None:
    """A closed group shown as running sends people to a locked door; a changed detail mostly costs a second call.
    So a listing silent through eight reminders comes before an older one a link worker said has a wrong detail,
    though the older one is likelier to be wrong in some way."""
    from directory.models.verification import Reminder
    from directory.verification.follow_ups import open_follow_ups

    now = utcnow()
    detail = make_service(name="Old, a detail wrong", last_verified_at=(now - timedelta(days=500)).isoformat())
    checked = (now - timedelta(days=60)).replace(microsecond=0)
    silent = make_service(name="Silent through eight reminders", last_verified_at=checked.isoformat())
    report_from_listing(session, detail.id, "details-wrong", "", reported_by="staff: t@example.org")
    session.add_all(
        Reminder(service_id=silent.id, kind="freshness", cycle=checked.isoformat(), sequence=n,
                 email="group@example.org", status="sent", sent_at=now - timedelta(days=50 - 6 * n))
        for n in range(1, 9)
    )  # fmt: skip
    queue_follow_up(session, silent.id, "no-reply", cycle=checked.isoformat(), detail="8 reminders unanswered")
    session.commit()
    queue = prioritised(session, open_follow_ups(session), {}, now=now)
    rows = {p.follow_up.service.name: p for p in queue}
    older, quiet = rows["Old, a detail wrong"], rows["Silent through eight reminders"]
    assert older.probability > quiet.probability  # likelier wrong in some way (91% against 76%) ...
    names = [p.follow_up.service.name for p in queue]
    assert names.index("Silent through eight reminders") < names.index("Old, a detail wrong")  # ... called second
