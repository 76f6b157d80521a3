"""Registration and check-in rules: quotas, unit links, guests, check-ins."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from session_server.core import (
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PhaseRefused,
    decide,
)
from session_server.core import commands as c
from session_server.core import commands_registration as rc
from session_server.core import events as e
from session_server.core import events_registration as rev
from session_server.core.codec import event_from_dict, event_to_dict
from session_server.core.model import Actor, BridgeKind, Phase, Role, State
from session_server.core.registration import GuestCategory, QuotaRule, UnitKind
from session_server.core.roster import (
    attendance,
    attendance_total,
    expected_bridge,
    guests_in_precedence,
    unit_fill,
    unit_quota,
)
from tests.conftest import MODERATOR, NOW, ORGANISER, build, operator, run

MAIN, DISTRICT = "tinh", "chau-doc"


def _state() -> State:
    state = build(
        [
            c.CreateDialogue(ORGANISER, "Đối thoại thanh niên"),
            c.SetBridgePoint(ORGANISER, MAIN, "Hội trường tỉnh", BridgeKind.MAIN),
            c.SetBridgePoint(ORGANISER, DISTRICT, "Thành phố Châu Đốc"),
            rc.SetUnit(ORGANISER, "so-noi-vu", "Đoàn cơ sở Sở Nội vụ", UnitKind.UNION_BASE, 40),
            rc.SetUnit(ORGANISER, "dai-hoc", "Đoàn cơ sở Trường Đại học", UnitKind.UNION_BASE, 120),
            rc.SetUnit(
                ORGANISER, "chi-doan", "Chi đoàn cơ sở Báo", UnitKind.BRANCH_BASE, 12, DISTRICT
            ),
        ]
    )
    run(state, c.IssueLink(ORGANISER, "unitlink01", Role.UNIT_REGISTRAR, unit_id="so-noi-vu"))
    run(state, c.IssueLink(ORGANISER, "unitlink02", Role.UNIT_REGISTRAR, unit_id="chi-doan"))
    return state


def _registrar(link: str = "unitlink01") -> Actor:
    return Actor(Role.UNIT_REGISTRAR, link_id=link)


def _door(bridge: str = MAIN) -> Actor:
    return Actor(Role.CHECK_IN, bridge_id=bridge)


def _register(state: State, delegate_id: str, name: str, link: str = "unitlink01") -> None:
    run(state, rc.RegisterDelegate(_registrar(link), delegate_id, "", name, "Bí thư"))


# --- the quota rule ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "members", "quota"),
    [
        (UnitKind.UNION_BASE, 0, 2),  # "Đối với Đoàn cơ sở: cứ 02 đồng chí"
        (UnitKind.UNION_BASE, 50, 2),  # 50 is not "trên 50"
        (UnitKind.UNION_BASE, 51, 3),  # "Đoàn cơ sở có trên 50 đoàn viên: cứ 03 đồng chí"
        (UnitKind.UNION_BASE, 400, 3),
        (UnitKind.BRANCH_BASE, 12, 1),  # "Đối với Chi đoàn cơ sở: cứ 01 đồng chí"
        (UnitKind.BRANCH_BASE, 80, 1),  # a branch stays at one, however large
        (UnitKind.DEPARTMENT, 0, 3),  # provincial plan: "Mỗi Sở ... cử 03 công chức"
        (UnitKind.OTHER, 0, 1),
    ],
)
def test_the_city_plans_quota_rule(kind: UnitKind, members: int, quota: int) -> None:
    assert QuotaRule().quota(kind, members) == quota


def test_the_rule_is_data_and_a_unit_can_be_overridden() -> None:
    state = _state()
    assert [(f.unit.unit_id, f.quota) for f in unit_fill(state)] == [
        ("so-noi-vu", 2),
        ("dai-hoc", 3),
        ("chi-doan", 1),
    ]
    run(state, rc.SetQuotaRule(ORGANISER, union_base=4, large_union_base=6, large_above=100))
    assert [f.quota for f in unit_fill(state)] == [4, 6, 1]
    run(
        state,
        rc.SetUnit(
            ORGANISER,
            "chi-doan",
            "Chi đoàn cơ sở Báo",
            UnitKind.BRANCH_BASE,
            12,
            DISTRICT,
            quota_override=5,
        ),
    )
    assert unit_quota(state, state.roster.units["chi-doan"]) == 5
    with pytest.raises(InvalidInput):
        decide(state, rc.SetQuotaRule(ORGANISER, union_base=-1), NOW)
    with pytest.raises(InvalidInput):
        decide(state, rc.SetUnit(ORGANISER, "x", "X", quota_override=5000), NOW)


def test_a_unit_without_an_id_gets_one_from_its_name() -> None:
    state = _state()
    run(state, rc.SetUnit(ORGANISER, name="Đoàn cơ sở Sở Nội vụ"))
    assert "doan-co-so-so-noi-vu" in state.roster.units


# --- registration by a unit's link ---------------------------------------------


def test_a_unit_registers_up_to_its_quota_and_no_more() -> None:
    state = _state()
    _register(state, "delegate01", "Nguyễn Văn An")
    _register(state, "delegate02", "Trần Thị Bình")
    fill = unit_fill(state)[0]
    assert (fill.registered, fill.missing) == (2, 0)
    before = copy.deepcopy(state)
    with pytest.raises(IllegalTransition) as refused:
        decide(state, rc.RegisterDelegate(_registrar(), "delegate03", "", "Lê Cường"), NOW)
    assert refused.value.code == "unit.quota_full"
    assert "2" in refused.value.message("vi") and "quota" in refused.value.message("en")
    assert state == before
    # a delegate's details can be corrected (same id): not a new one
    run(state, rc.RegisterDelegate(_registrar(), "delegate02", "", "Trần Thị Bình", "Phó Bí thư"))
    assert state.roster.delegates["delegate02"].position == "Phó Bí thư"
    assert state.roster.delegates["delegate02"].organisation == "Đoàn cơ sở Sở Nội vụ"


def test_a_units_link_registers_its_own_unit_only() -> None:
    state = _state()
    with pytest.raises(Forbidden):
        decide(state, rc.RegisterDelegate(_registrar(), "delegate01", "dai-hoc", "An"), NOW)
    _register(state, "delegate01", "Nguyễn Văn An")
    with pytest.raises(Forbidden):  # another unit's delegate
        decide(state, rc.WithdrawDelegate(_registrar("unitlink02"), "delegate01"), NOW)
    with pytest.raises(Forbidden):  # an unknown link
        decide(state, rc.RegisterDelegate(_registrar("unitlinkXX"), "delegate09", "", "An"), NOW)
    with pytest.raises(Forbidden):  # an attendee may not register anyone
        decide(
            state,
            rc.RegisterDelegate(
                Actor(Role.ATTENDEE, device_id="d"), "delegate09", "so-noi-vu", "A"
            ),
            NOW,
        )
    run(state, c.RevokeLink(ORGANISER, "unitlink01"))
    with pytest.raises(Forbidden):
        decide(state, rc.RegisterDelegate(_registrar(), "delegate05", "", "Lê Cường"), NOW)


def test_the_same_name_twice_in_a_unit_is_refused() -> None:
    state = _state()
    _register(state, "delegate01", "Nguyễn Văn An")
    with pytest.raises(IllegalTransition) as refused:
        decide(state, rc.RegisterDelegate(_registrar(), "delegate02", "", "nguyen van  an"), NOW)
    assert refused.value.code == "delegate.duplicate_name"


def test_bad_input_is_refused() -> None:
    state = _state()
    for bad in (
        rc.RegisterDelegate(_registrar(), "short", "", "An"),
        rc.RegisterDelegate(_registrar(), "delegate01", "", ""),
        rc.RegisterDelegate(_registrar(), "delegate01", "", "An", phone="call me"),
        rc.RegisterDelegate(_registrar(), "delegate01", "", "A" * 500),
    ):
        with pytest.raises(InvalidInput):
            decide(state, bad, NOW)
    run(state, rc.RegisterDelegate(_registrar(), "delegate01", "", "An", phone="+84 912 345 678"))
    assert state.roster.delegates["delegate01"].phone == "+84 912 345 678"


def test_registration_closes_at_the_deadline_for_units_not_the_organiser() -> None:
    state = _state()
    run(state, rc.SetRegistrationDeadline(ORGANISER, NOW + timedelta(hours=1)))
    _register(state, "delegate01", "Nguyễn Văn An")
    later = NOW + timedelta(hours=2)
    with pytest.raises(PhaseRefused) as refused:
        decide(state, rc.RegisterDelegate(_registrar(), "delegate02", "", "Trần Bình"), later)
    assert refused.value.code == "registration.closed"
    with pytest.raises(PhaseRefused):
        decide(state, rc.WithdrawDelegate(_registrar(), "delegate01"), later)
    run(state, rc.RegisterDelegate(ORGANISER, "delegate02", "so-noi-vu", "Trần Bình"), later)
    run(state, rc.WithdrawDelegate(ORGANISER, "delegate02"), later)
    assert list(state.roster.delegates) == ["delegate01"]


def test_a_unit_with_delegates_cannot_be_removed() -> None:
    state = _state()
    _register(state, "delegate01", "Nguyễn Văn An")
    with pytest.raises(IllegalTransition):
        decide(state, rc.RemoveUnit(ORGANISER, "so-noi-vu"), NOW)
    run(state, rc.RemoveUnit(ORGANISER, "dai-hoc"))
    assert "dai-hoc" not in state.roster.units
    with pytest.raises(NotFound):
        decide(state, rc.RemoveUnit(ORGANISER, "dai-hoc"), NOW)
    with pytest.raises(IllegalTransition):  # the district's unit attends there
        decide(state, c.RemoveBridgePoint(ORGANISER, DISTRICT), NOW)


def test_a_registrar_link_needs_its_unit() -> None:
    state = _state()
    with pytest.raises(InvalidInput):
        decide(state, c.IssueLink(ORGANISER, "unitlink09", Role.UNIT_REGISTRAR), NOW)
    with pytest.raises(NotFound):
        decide(state, c.IssueLink(ORGANISER, "unitlink09", Role.UNIT_REGISTRAR, unit_id="x"), NOW)
    with pytest.raises(InvalidInput):
        decide(state, c.IssueLink(ORGANISER, "checklnk9", Role.CHECK_IN), NOW)
    with pytest.raises(InvalidInput):
        decide(state, c.IssueLink(ORGANISER, "checklnk9", Role.CHECK_IN, MAIN, unit_id="x"), NOW)
    link = state.links["unitlink01"]
    assert (link.unit_id, link.label) == ("so-noi-vu", "Đoàn cơ sở Sở Nội vụ")
    assert link.actor().link_id == "unitlink01"


# --- guests ------------------------------------------------------------------------


def test_guests_in_order_of_precedence() -> None:
    state = _state()
    for delegate_id, name, category, precedence in [
        ("guest-press1", "Báo An Giang", GuestCategory.PRESS, 1),
        ("guest-dept01", "Sở Nội vụ", GuestCategory.DEPARTMENT, 2),
        ("guest-dept02", "Sở Tài chính", GuestCategory.DEPARTMENT, 1),
        ("guest-lead01", "Hội đồng nhân dân tỉnh", GuestCategory.LEADER, 5),
    ]:
        run(
            state,
            rc.SetGuest(
                ORGANISER,
                delegate_id,
                "Khách " + name,
                organisation=name,
                category=category,
                precedence=precedence,
            ),
        )
    assert [g.delegate_id for g in guests_in_precedence(state)] == [
        "guest-lead01",
        "guest-dept02",
        "guest-dept01",
        "guest-press1",
    ]
    assert expected_bridge(state, state.roster.delegates["guest-press1"]) == MAIN
    run(state, rc.CheckInDelegate(_door(), "guest-press1", MAIN))
    run(state, rc.CheckInDelegate(_door(), "guest-lead01", MAIN))
    present = guests_in_precedence(state, present=True)
    assert [g.delegate_id for g in present] == ["guest-lead01", "guest-press1"]
    _register(state, "delegate01", "Nguyễn Văn An")
    with pytest.raises(InvalidInput):  # a unit's delegate is not made a guest
        decide(state, rc.SetGuest(ORGANISER, "delegate01", "X"), NOW)
    with pytest.raises(InvalidInput):
        decide(state, rc.SetGuest(ORGANISER, "guest-x0001", "X", precedence=-3), NOW)


# --- check-in ------------------------------------------------------------------------


def test_a_delegate_checks_in_once() -> None:
    state = _state()
    _register(state, "delegate01", "Nguyễn Văn An")
    _register(state, "delegate02", "Trần Bình", "unitlink02")
    events = run(state, rc.CheckInDelegate(_door(), "delegate01", MAIN, command_id="scan-0001"))
    assert [type(ev) for ev in events] == [rev.CheckedIn]
    # the same command again (a queued message sent twice) is a repeat, not a refusal
    assert (
        decide(state, rc.CheckInDelegate(_door(), "delegate01", MAIN, command_id="scan-0001"), NOW)
        == []
    )
    before = copy.deepcopy(state)
    with pytest.raises(IllegalTransition) as refused:
        decide(state, rc.CheckInDelegate(_door(), "delegate01", MAIN, command_id="scan-0002"), NOW)
    assert refused.value.code == "checkin.already"
    assert refused.value.message("vi") == (
        "Nguyễn Văn An đã điểm danh lúc 14:30 tại Hội trường tỉnh; không điểm danh lại."
    )
    with pytest.raises(IllegalTransition):  # nor at another bridge point
        decide(state, rc.CheckInDelegate(operator(DISTRICT), "delegate01", DISTRICT), NOW)
    assert state == before
    with pytest.raises(IllegalTransition):  # checked in: cannot be withdrawn
        decide(state, rc.WithdrawDelegate(ORGANISER, "delegate01"), NOW)
    rows = {row.bridge_id: (row.checked_in, row.expected) for row in attendance(state)}
    assert rows == {MAIN: (1, 1), DISTRICT: (0, 1)}


def test_a_door_checks_in_at_its_own_bridge_point() -> None:
    state = _state()
    _register(state, "delegate01", "Nguyễn Văn An")
    with pytest.raises(Forbidden):
        decide(state, rc.CheckInDelegate(_door(DISTRICT), "delegate01", MAIN), NOW)
    with pytest.raises(Forbidden):
        decide(state, rc.CheckInDelegate(Actor(Role.CHECK_IN), "delegate01", MAIN), NOW)
    with pytest.raises(NotFound):
        decide(state, rc.CheckInDelegate(_door(), "nobody-here", MAIN), NOW)
    with pytest.raises(Forbidden):  # a phone cannot check anyone in
        decide(
            state, rc.CheckInDelegate(Actor(Role.ATTENDEE, device_id="x"), "delegate01", MAIN), NOW
        )
    # the moderator and the organiser may, anywhere
    run(state, rc.CheckInDelegate(MODERATOR, "delegate01", DISTRICT))
    assert state.roster.check_ins["delegate01"].bridge_id == DISTRICT


def test_walk_ins_are_counted_per_bridge_point() -> None:
    state = _state()
    _register(state, "delegate01", "Nguyễn Văn An")
    run(state, rc.CheckInDelegate(_door(), "delegate01", MAIN))
    run(state, rc.CountWalkIns(_door(), MAIN, 3))
    run(state, rc.CountWalkIns(_door(), MAIN))
    run(state, rc.CountWalkIns(operator(DISTRICT), DISTRICT, 7))
    run(state, rc.CountWalkIns(operator(DISTRICT), DISTRICT, -2))
    with pytest.raises(InvalidInput) as refused:
        decide(state, rc.CountWalkIns(operator(DISTRICT), DISTRICT, -6), NOW)
    assert refused.value.code == "walk_ins.below_zero"
    for count in (0, 100_000):
        with pytest.raises(InvalidInput):
            decide(state, rc.CountWalkIns(_door(), MAIN, count), NOW)
    rows = {row.bridge_id: (row.checked_in, row.walk_ins, row.present) for row in attendance(state)}
    assert rows == {MAIN: (1, 4, 5), DISTRICT: (0, 5, 5)}
    assert attendance_total(state) == 10


def test_a_closed_dialogue_refuses_check_ins_and_registration() -> None:
    state = _state()
    _register(state, "delegate01", "Nguyễn Văn An")
    for phase in (Phase.INTAKE, Phase.LIVE, Phase.CLOSED):
        run(state, c.ChangePhase(ORGANISER, phase))
    for command in (
        rc.CheckInDelegate(_door(), "delegate01", MAIN),
        rc.CountWalkIns(_door(), MAIN, 1),
        rc.RegisterDelegate(_registrar(), "delegate02", "", "Trần Bình"),
        rc.SetUnit(ORGANISER, "x", "X"),
    ):
        with pytest.raises(PhaseRefused) as refused:
            decide(state, command, NOW)
        assert refused.value.code == "dialogue.closed"


def test_the_events_travel_through_the_codec() -> None:
    state = _state()
    _register(state, "delegate01", "Nguyễn Văn An")
    run(state, rc.SetGuest(ORGANISER, "guest-lead01", "Khách", category=GuestCategory.LEADER))
    run(state, rc.SetRegistrationDeadline(ORGANISER, NOW + timedelta(days=3)))
    run(state, rc.SetQuotaRule(ORGANISER, union_base=3))
    events = [
        *decide(state, rc.CheckInDelegate(_door(), "delegate01", MAIN), NOW),
        *decide(state, rc.CountWalkIns(_door(), MAIN, 2), NOW),
        *decide(state, rc.WithdrawDelegate(_registrar(), "delegate01"), NOW),
        *decide(state, rc.RemoveUnit(ORGANISER, "dai-hoc"), NOW),
    ]
    for event in events:
        assert event_from_dict(event_to_dict(event)) == event
    linked = e.LinkIssued(
        at=NOW, link_id="x" * 8, role=Role.MODERATOR, bridge_id=None, speaker_id=None, label=""
    )
    assert "unit_id" not in event_to_dict(linked)
