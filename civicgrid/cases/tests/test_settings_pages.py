"""The street admin's settings page: case categories, the working calendar and the street's patrol checklist."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from django.urls import reverse

from civicgrid.audit.models import AuditEvent
from civicgrid.cases import calendar
from civicgrid.cases.models import CalendarDay, Category
from civicgrid.patrols.models import ChecklistItem
from civicgrid.patrols.selectors import checklist_for

pytestmark = pytest.mark.django_db

SETTINGS = reverse("cases:settings")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    """The calendar is cached per process: forget what these tests added once their rows are rolled back."""
    yield
    calendar.invalidate()


def leaf() -> Category:
    return Category.objects.get(code="0101")


def category_post(cat: Category, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name_zh": cat.name_zh,
        "name_en": cat.name_en,
        "responder_kind": cat.responder_kind,
        "accept_minutes": cat.accept_minutes,
        "resolve_minutes": cat.resolve_minutes,
        "description": cat.description,
        "active": "on",
    }
    if cat.urgent:
        data["urgent"] = "on"
    data.update(changes)
    return data


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_street_admin_sees_the_settings_page(client_as: Any, street_admin: Any) -> None:
    response = client_as(street_admin).get(SETTINGS)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="categories"' in body and 'id="calendar"' in body and 'id="checklist"' in body
    assert 'data-testid="cat-0101"' in body
    assert reverse("cases:settings") in body  # the nav link


@pytest.mark.parametrize("who", ["staff_a", "worker_a", "steward_a", "resident"])
def test_everyone_else_is_refused_the_page_and_its_forms(client_as: Any, request: Any, who: str) -> None:
    client = client_as(request.getfixturevalue(who))
    cat = leaf()
    assert client.get(SETTINGS).status_code == 403
    assert (
        client.post(reverse("cases:category_edit", args=[cat.pk]), category_post(cat, resolve_minutes=1)).status_code
        == 403
    )
    assert client.post(reverse("cases:calendar_edit"), {"date": "2027-03-02", "kind": "holiday"}).status_code == 403
    item = ChecklistItem.objects.filter(street__isnull=True).first()
    assert item is not None
    assert client.post(reverse("cases:checklist_edit", args=[item.pk]), {"name": "x", "order": 1}).status_code == 403
    cat.refresh_from_db()
    assert cat.resolve_minutes != 1
    assert not CalendarDay.objects.filter(date=date(2027, 3, 2)).exists()


def test_anonymous_visitors_are_sent_to_log_in(client: Any) -> None:
    response = client.get(SETTINGS)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_edits_a_category_and_audits_it(client_as: Any, street_admin: Any) -> None:
    cat = leaf()
    before = events("cases.update_category")
    response = client_as(street_admin).post(
        reverse("cases:category_edit", args=[cat.pk]),
        category_post(cat, resolve_minutes=600, accept_minutes=30, name_en="Full bins", responder_kind="property"),
    )
    assert response.status_code == 302
    cat.refresh_from_db()
    assert (cat.resolve_minutes, cat.accept_minutes, cat.name_en, cat.responder_kind) == (
        600,
        30,
        "Full bins",
        "property",
    )
    assert events("cases.update_category") == before + 1
    event = AuditEvent.objects.filter(action="cases.update_category").latest("seq")
    assert event.actor_id == street_admin.pk and event.after is not None and event.after["resolve_minutes"] == 600


def test_it_adds_a_category_under_a_top_level_one(client_as: Any, street_admin: Any) -> None:
    parent = Category.objects.get(code="01")
    data = category_post(leaf(), code="0199", name_zh="共享单车乱停", name_en="Dockless bikes", parent=parent.pk)
    response = client_as(street_admin).post(reverse("cases:category_add"), data)
    assert response.status_code == 302
    new = Category.objects.get(code="0199")
    assert new.parent_id == parent.pk and new.name_en == "Dockless bikes" and new.active
    assert AuditEvent.objects.filter(action="cases.create_category", target_id=str(new.pk)).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"resolve_minutes": "0"}, "Resolve within (minutes)"),
        ({"accept_minutes": "abc"}, "Accept within (minutes)"),
        ({"accept_minutes": "999999"}, "Accept within (minutes)"),
        ({"name_zh": "  "}, "Chinese name"),
        ({"responder_kind": "wizards"}, "Default responder type"),
    ],
)
def test_a_bad_category_edit_names_the_field_and_changes_nothing(
    client_as: Any, street_admin: Any, changes: dict[str, str], field: str
) -> None:
    cat = leaf()
    before = events("cases.update_category")
    response = client_as(street_admin).post(
        reverse("cases:category_edit", args=[cat.pk]), category_post(cat, **changes), **EN
    )
    assert response.status_code == 400
    assert f"{field}: " in response.content.decode()
    fresh = Category.objects.get(pk=cat.pk)
    assert (fresh.name_zh, fresh.accept_minutes, fresh.resolve_minutes, fresh.responder_kind) == (
        cat.name_zh,
        cat.accept_minutes,
        cat.resolve_minutes,
        cat.responder_kind,
    )
    assert events("cases.update_category") == before


@pytest.mark.parametrize("code", ["0101", "0299", "01", "01ab"])
def test_a_new_category_needs_a_fresh_code_under_its_parent(client_as: Any, street_admin: Any, code: str) -> None:
    parent = Category.objects.get(code="01")
    count = Category.objects.count()
    data = category_post(leaf(), code=code, parent=parent.pk)
    response = client_as(street_admin).post(reverse("cases:category_add"), data, **EN)
    assert response.status_code == 400
    assert "Code: " in response.content.decode()
    assert Category.objects.count() == count


def test_a_holiday_added_on_a_weekday_moves_a_later_deadline(
    client_as: Any, street_admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    start = datetime(2027, 3, 1, 16, 0, tzinfo=calendar.TZ)  # a Monday, one working hour before closing
    assert calendar.add_working_minutes(start, 120) == datetime(2027, 3, 2, 10, 0, tzinfo=calendar.TZ)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(street_admin).post(
            reverse("cases:calendar_edit"), {"date": "2027-03-02", "kind": "holiday", "note": "街道活动日"}
        )
    assert response.status_code == 302
    day = CalendarDay.objects.get(date=date(2027, 3, 2))
    assert not day.is_workday and day.note == "街道活动日"
    assert AuditEvent.objects.filter(action="cases.update_calendar", target_id="2027-03-02").exists()
    # Tuesday is off now: the second hour falls on Wednesday.
    assert calendar.add_working_minutes(start, 120) == datetime(2027, 3, 3, 10, 0, tzinfo=calendar.TZ)

    with django_capture_on_commit_callbacks(execute=True):
        client_as(street_admin).post(reverse("cases:calendar_edit"), {"date": "2027-03-02", "kind": "remove"})
    assert not CalendarDay.objects.filter(date=date(2027, 3, 2)).exists()
    assert calendar.add_working_minutes(start, 120) == datetime(2027, 3, 2, 10, 0, tzinfo=calendar.TZ)


def test_a_make_up_workday_on_a_weekend_is_listed(client_as: Any, street_admin: Any) -> None:
    this_year = date.today().year
    saturday = next(date(this_year + 1, 6, d) for d in range(1, 8) if date(this_year + 1, 6, d).weekday() == 5)
    client = client_as(street_admin)
    client.post(reverse("cases:calendar_edit"), {"date": saturday.isoformat(), "kind": "workday", "note": "调休"})
    assert CalendarDay.objects.get(date=saturday).is_workday
    assert f'data-testid="day-{saturday.isoformat()}"' in client.get(SETTINGS).content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [({"date": "", "kind": "holiday"}, "Date"), ({"date": "2027-03-02", "kind": "holiday", "note": "长" * 51}, "Note")],
)
def test_a_bad_calendar_day_names_the_field_and_changes_nothing(
    client_as: Any, street_admin: Any, data: dict[str, str], field: str
) -> None:
    count = CalendarDay.objects.count()
    response = client_as(street_admin).post(reverse("cases:calendar_edit"), data, **EN)
    assert response.status_code == 400
    assert f"{field}: " in response.content.decode()
    assert CalendarDay.objects.count() == count


def test_a_checklist_edit_gives_the_street_its_own_copy(client_as: Any, street_admin: Any) -> None:
    street_id = street_admin.street_id
    assert not ChecklistItem.objects.filter(street_id=street_id).exists()
    default = ChecklistItem.objects.get(street__isnull=True, code="full_bin")
    defaults = ChecklistItem.objects.filter(street__isnull=True).count()
    response = client_as(street_admin).post(
        reverse("cases:checklist_edit", args=[default.pk]),
        {"name": "垃圾桶满溢", "category": default.category_id, "order": 5, "active": "on"},
    )
    assert response.status_code == 302
    own = ChecklistItem.objects.get(street_id=street_id, code="full_bin")
    assert (own.name, own.order) == ("垃圾桶满溢", 5)
    assert ChecklistItem.objects.filter(street_id=street_id).count() == defaults
    default.refresh_from_db()
    assert default.name != "垃圾桶满溢"  # the shipped defaults stay as they were for the other streets
    listed = list(checklist_for(street_id))
    assert listed[0].pk == own.pk and all(i.street_id == street_id for i in listed)
    assert AuditEvent.objects.filter(action="patrols.customise_checklist").exists()
    assert AuditEvent.objects.filter(action="patrols.update_checklist_item", target_id=str(own.pk)).exists()


def test_a_deactivated_item_leaves_the_checklist_and_a_new_one_joins_it(client_as: Any, street_admin: Any) -> None:
    client = client_as(street_admin)
    street_id = street_admin.street_id
    default = ChecklistItem.objects.get(street__isnull=True, code="ebike_gate")
    client.post(
        reverse("cases:checklist_edit", args=[default.pk]),
        {"name": default.name, "category": default.category_id, "order": default.order},
    )
    response = client.post(
        reverse("cases:checklist_add"),
        {"code": "dockless_bikes", "name": "共享单车堆放", "category": default.category_id, "order": 99},
    )
    assert response.status_code == 302
    codes = [i.code for i in checklist_for(street_id)]
    assert "ebike_gate" not in codes and "dockless_bikes" in codes
    assert AuditEvent.objects.filter(action="patrols.add_checklist_item").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"code": "Bad Code!", "name": "x", "order": 1}, "Code"),
        ({"code": "full_bin", "name": "x", "order": 1}, "Code"),
        ({"code": "new_one", "name": "", "order": 1}, "Name"),
        ({"code": "new_one", "name": "x", "order": -3}, "Order"),
    ],
)
def test_a_bad_checklist_item_names_the_field_and_adds_nothing(
    client_as: Any, street_admin: Any, data: dict[str, Any], field: str
) -> None:
    data["category"] = leaf().pk
    count = ChecklistItem.objects.count()
    response = client_as(street_admin).post(reverse("cases:checklist_add"), data, **EN)
    assert response.status_code == 400
    assert f"{field}: " in response.content.decode()
    assert ChecklistItem.objects.count() == count
