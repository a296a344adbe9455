"""API keys: street admins issue them (shown once, stored as a hash), revoke them at once, all of it audited."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from civicgrid.areas.models import Street
from civicgrid.audit.models import AuditEvent
from civicgrid.core.errors import NotAllowed, ServiceError
from civicgrid.open311.models import ApiKey
from civicgrid.open311.selectors import active_key
from civicgrid.open311.services import create_api_key, note_key_used, revoke_api_key

pytestmark = pytest.mark.django_db

KEYS = "open311:api_keys"


def test_a_street_admin_issues_a_key_that_is_stored_only_as_a_hash(street_admin: Any) -> None:
    key, plain = create_api_key(street_admin, "12345 热线")
    assert plain.startswith("cg_") and len(plain) > 40
    assert key.key_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain.startswith(key.prefix) and len(key.prefix) == 10
    assert key.street == street_admin.street and key.created_by == street_admin
    stored = ApiKey.objects.filter(pk=key.pk).values().get()
    assert plain not in json.dumps(stored, default=str)
    assert active_key(plain) == key


def test_issuing_and_revoking_are_audited_without_the_key(street_admin: Any) -> None:
    key, plain = create_api_key(street_admin, "小程序")
    revoke_api_key(street_admin, key, reason="换新密钥")
    events = AuditEvent.objects.filter(target_type="open311.apikey", target_id=str(key.pk)).order_by("seq")
    assert [e.action for e in events] == ["open311.create_api_key", "open311.revoke_api_key"]
    assert events[0].after["prefix"] == key.prefix
    assert events[1].reason == "换新密钥"
    for event in events:
        assert plain not in json.dumps([event.before, event.after, event.reason, event.target_label])


def test_a_revoked_key_no_longer_authenticates_and_revoking_twice_changes_nothing(street_admin: Any) -> None:
    key, plain = create_api_key(street_admin, "旧系统")
    revoked = revoke_api_key(street_admin, key)
    assert revoked.revoked_at is not None and revoked.revoked_by == street_admin
    assert active_key(plain) is None
    assert revoke_api_key(street_admin, key).revoked_at == revoked.revoked_at
    assert AuditEvent.objects.filter(action="open311.revoke_api_key", target_id=str(key.pk)).count() == 1


@pytest.mark.parametrize("who", ["staff_a", "worker_a", "steward_a", "resident", "responder"])
def test_only_street_admins_issue_and_revoke_keys(request: Any, who: str, street_admin: Any) -> None:
    user = request.getfixturevalue(who)
    with pytest.raises(NotAllowed):
        create_api_key(user, "不该有")
    key, _plain = create_api_key(street_admin, "有的")
    with pytest.raises(NotAllowed):
        revoke_api_key(user, key)


def test_a_key_needs_a_name(street_admin: Any) -> None:
    with pytest.raises(ServiceError):
        create_api_key(street_admin, "   ")


def test_an_admin_cannot_revoke_another_streets_key(street_admin: Any) -> None:
    other = Street.objects.create(code="510199001", name="别的街道")
    key, _plain = create_api_key(None, "别人的", street=other)
    with pytest.raises(ServiceError):
        revoke_api_key(street_admin, key)


def test_last_use_is_noted_to_the_minute(street_admin: Any, django_assert_num_queries: Any) -> None:
    key, _plain = create_api_key(street_admin, "计时")
    note_key_used(key)
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    assert first is not None
    with django_assert_num_queries(0):
        note_key_used(key)  # within the minute: no write


def test_the_command_prints_the_key_once(street_admin: Any) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", "命令行对接", stdout=out, stderr=err)
    plain = out.getvalue().strip()
    key = active_key(plain)
    assert key is not None and key.name == "命令行对接" and key.street == street_admin.street
    assert AuditEvent.objects.filter(action="open311.create_api_key", target_id=str(key.pk), actor=None).exists()


def test_the_command_needs_the_street_when_there_are_several(street_admin: Any) -> None:
    Street.objects.create(code="510199002", name="第二个街道")
    with pytest.raises(CommandError):
        call_command("create_api_key", "歧义", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError):
        call_command("create_api_key", "无此街道", "--street", "nope", stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()
    call_command("create_api_key", "指定街道", "--street", "510199002", stdout=out, stderr=io.StringIO())
    assert active_key(out.getvalue().strip()).street.code == "510199002"  # type: ignore[union-attr]


# --- the page ---------------------------------------------------------------------------------------------------


def test_the_page_shows_a_new_key_once(client_as: Any, street_admin: Any) -> None:
    client = client_as(street_admin)
    response = client.post(reverse(KEYS), {"name": "<script>alert(1)</script>网格 App"})
    assert response.status_code == 200
    key = ApiKey.objects.get(name="<script>alert(1)</script>网格 App")
    page = response.content.decode()
    plain = page.split('id="new-key" value="', 1)[1].split('"', 1)[0]
    assert active_key(plain) == key
    assert response["Cache-Control"] == "no-store"
    assert "<script>alert(1)</script>" not in page
    again = client.get(reverse(KEYS)).content.decode()
    assert plain not in again and key.prefix in again


def test_the_page_refuses_a_key_without_a_name(client_as: Any, street_admin: Any) -> None:
    response = client_as(street_admin).post(reverse(KEYS), {"name": ""})
    assert response.status_code == 400
    assert not ApiKey.objects.exists()


def test_the_page_revokes_a_key(client_as: Any, street_admin: Any) -> None:
    key, plain = create_api_key(street_admin, "要撤销的")
    response = client_as(street_admin).post(reverse("open311:revoke_api_key", args=[key.pk]))
    assert response.status_code == 302
    assert active_key(plain) is None


def test_another_streets_key_is_not_found(client_as: Any, street_admin: Any) -> None:
    other = Street.objects.create(code="510199003", name="邻街")
    key, _plain = create_api_key(None, "邻街的", street=other)
    assert client_as(street_admin).post(reverse("open311:revoke_api_key", args=[key.pk])).status_code == 404
    assert client_as(street_admin).get(reverse(KEYS)).content.decode().count("邻街的") == 0


@pytest.mark.parametrize("who", ["staff_a", "worker_a", "resident"])
def test_the_page_is_for_street_admins_only(client_as: Any, request: Any, who: str, street_admin: Any) -> None:
    key, _plain = create_api_key(street_admin, "别动")
    client = client_as(request.getfixturevalue(who))
    assert client.get(reverse(KEYS)).status_code == 403
    assert client.post(reverse("open311:revoke_api_key", args=[key.pk])).status_code == 403
    assert "open311/keys" not in client.get(reverse("core:home"), follow=True).content.decode()


def test_the_navigation_links_the_page_for_street_admins(client_as: Any, street_admin: Any) -> None:
    assert reverse(KEYS) in client_as(street_admin).get(reverse("core:home"), follow=True).content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client: Any) -> None:
    response = client.get(reverse(KEYS))
    assert response.status_code == 302 and "login" in response.url
