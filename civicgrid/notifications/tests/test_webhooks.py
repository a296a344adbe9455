"""Outbound webhooks: signed deliveries after commit, retries with back-off, and the street admin's page."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import transaction

from civicgrid.audit.models import AuditEvent
from civicgrid.core.errors import NotAllowed, ServiceError
from civicgrid.notifications import services, tasks
from civicgrid.notifications.models import WebhookDelivery, WebhookEndpoint


@dataclass
class Receiver:
    """A tiny HTTP server that records every POST and answers with `status`."""

    url: str
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            # Header names are case-insensitive (urllib sends "X-civicgrid-event"), so they are kept lower-cased.
            rec.requests.append(
                {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
            )
            self.send_response(rec.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(street_admin: Any, receiver: Receiver) -> WebhookEndpoint:
    ep, _secret = services.create_webhook_endpoint(
        street_admin, "<script>alert(1)</script> hotline", receiver.url, "case."
    )
    return ep


@pytest.fixture
def deferring_backend(settings: Any) -> Any:
    """A backend that keeps enqueued tasks (with their run_after) instead of running them: the immediate backend
    refuses run_after, so retries are observed here and each try is run by hand with deliver_webhook.call."""
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
    default_task_backend.clear()  # type: ignore[attr-defined]
    return default_task_backend


def test_an_event_is_delivered_signed_after_commit(
    endpoint: WebhookEndpoint, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        services.emit_event("case.created", {"tracking_code": "JJ-1", "title": "路灯不亮"})
        assert receiver.requests == []  # nothing leaves before commit
    assert len(callbacks) == 1
    [req] = receiver.requests
    body = req["body"]
    assert json.loads(body)["event"] == "case.created"
    assert json.loads(body)["data"] == {"tracking_code": "JJ-1", "title": "路灯不亮"}
    assert req["headers"]["x-civicgrid-event"] == "case.created"
    assert req["headers"]["x-civicgrid-signature"] == tasks.signature(endpoint.secret, body)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert json.loads(body)["id"] == delivery.pk
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 1
    assert delivery.delivered_at is not None


def test_a_failed_delivery_counts_the_attempt_and_stays_pending(
    endpoint: WebhookEndpoint, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        services.emit_event("case.closed", {"tracking_code": "JJ-2"})
    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.attempts == 1
    assert "500" in delivery.last_error


def test_it_retries_with_back_off_until_it_gives_up(
    endpoint: WebhookEndpoint, receiver: Receiver, deferring_backend: Any
) -> None:
    receiver.status = 500
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="case.created", payload={"n": 1})
    for attempt in range(1, tasks.MAX_ATTEMPTS):
        assert tasks.deliver_webhook.call(delivery.pk) == "retry"
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        assert delivery.status == WebhookDelivery.Status.PENDING
        retry = deferring_backend.results[-1]
        assert retry.args == [delivery.pk]
        assert retry.task.run_after is not None  # scheduled later, not at once
    assert len(deferring_backend.results) == tasks.MAX_ATTEMPTS - 1
    assert tasks.deliver_webhook.call(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == tasks.MAX_ATTEMPTS
    assert len(deferring_backend.results) == tasks.MAX_ATTEMPTS - 1  # no try after giving up
    assert len(receiver.requests) == tasks.MAX_ATTEMPTS
    assert tasks.deliver_webhook.call(delivery.pk) == "skipped"


def test_a_retry_that_succeeds_marks_the_delivery_delivered(
    endpoint: WebhookEndpoint, receiver: Receiver, deferring_backend: Any
) -> None:
    receiver.status = 500
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="case.created", payload={})
    assert tasks.deliver_webhook.call(delivery.pk) == "retry"
    receiver.status = 200
    assert tasks.deliver_webhook.call(delivery.pk) == "delivered"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (WebhookDelivery.Status.DELIVERED, 2, "")


def test_an_endpoint_whose_prefixes_do_not_match_gets_nothing(
    endpoint: WebhookEndpoint, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.emit_event("patrol.finished", {"id": 1})
    assert receiver.requests == []
    assert not WebhookDelivery.objects.filter(endpoint=endpoint).exists()


def test_a_paused_endpoint_gets_nothing(
    street_admin: Any, endpoint: WebhookEndpoint, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    services.set_webhook_active(street_admin, endpoint, False)
    with django_capture_on_commit_callbacks(execute=True):
        services.emit_event("case.created", {})
    assert receiver.requests == []


def test_a_rolled_back_transaction_sends_nothing(
    endpoint: WebhookEndpoint, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.emit_event("case.created", {"tracking_code": "JJ-3"})
        raise RuntimeError("the case could not be saved")
    assert callbacks == []
    assert receiver.requests == []
    assert not WebhookDelivery.objects.filter(endpoint=endpoint).exists()


# --- services ----------------------------------------------------------------------------------------------


def test_creating_an_endpoint_makes_a_secret_and_is_audited(street_admin: Any) -> None:
    ep, secret = services.create_webhook_endpoint(
        street_admin, " Hotline ", "https://hooks.example.cn/x", "case., visit."
    )
    assert len(secret) == 64 and ep.secret == secret
    assert (ep.name, ep.events, ep.active) == ("Hotline", "case.,visit.", True)
    event = AuditEvent.objects.filter(action="notifications.create_webhook").latest("seq")
    assert event.target_id == str(ep.pk)
    assert secret not in json.dumps(event.after)


@pytest.mark.parametrize("url", ["", "ftp://example.cn/x", "file:///etc/passwd", "example.cn/hook", "http://"])
def test_it_refuses_a_url_that_is_not_http(street_admin: Any, url: str) -> None:
    with pytest.raises(ServiceError) as exc:
        services.create_webhook_endpoint(street_admin, "Hotline", url, "")
    assert exc.value.field == "url"


def test_it_requires_a_name(street_admin: Any) -> None:
    with pytest.raises(ServiceError) as exc:
        services.create_webhook_endpoint(street_admin, "  ", "https://example.cn/x", "")
    assert exc.value.field == "name"


def test_pausing_and_resuming_is_audited_once_per_change(street_admin: Any, endpoint: WebhookEndpoint) -> None:
    services.set_webhook_active(street_admin, endpoint, False)
    services.set_webhook_active(street_admin, endpoint, False)
    services.set_webhook_active(street_admin, endpoint, True)
    actions = list(
        AuditEvent.objects.filter(target_id=str(endpoint.pk), action__startswith="notifications.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "notifications.create_webhook",
        "notifications.deactivate_webhook",
        "notifications.activate_webhook",
    ]


@pytest.mark.parametrize("who", ["staff_a", "worker_a", "resident", "responder"])
def test_only_street_admins_manage_webhooks(request: Any, who: str, endpoint: WebhookEndpoint) -> None:
    user = request.getfixturevalue(who)
    with pytest.raises(NotAllowed):
        services.create_webhook_endpoint(user, "x", "https://example.cn/x", "")
    with pytest.raises(NotAllowed):
        services.set_webhook_active(user, endpoint, False)


# --- the page ----------------------------------------------------------------------------------------------


def test_a_street_admin_sees_endpoints_with_their_last_deliveries(
    client_as: Any, street_admin: Any, endpoint: WebhookEndpoint, django_assert_max_num_queries: Any
) -> None:
    WebhookDelivery.objects.create(
        endpoint=endpoint, event="case.created", payload={}, attempts=3, last_error="HTTP Error 500: boom"
    )
    for i in range(3):
        services.create_webhook_endpoint(street_admin, f"other {i}", "https://example.cn/x", "")
    client = client_as(street_admin)
    client.get("/notifications/webhooks/")  # warm caches (session, permissions)
    with django_assert_max_num_queries(12):
        response = client.get("/notifications/webhooks/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "HTTP Error 500: boom" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; hotline" in html and "<script>alert(1)" not in html
    assert endpoint.secret not in html  # a secret is shown only when it is made
    assert 'href="/notifications/webhooks/"' in html  # the nav link


def test_a_street_admin_creates_an_endpoint_and_sees_its_secret_once(client_as: Any, street_admin: Any) -> None:
    client = client_as(street_admin)
    response = client.post(
        "/notifications/webhooks/", {"name": "Hotline 12345", "url": "https://hooks.example.cn/x", "events": "case."}
    )
    assert response.status_code == 200
    ep = WebhookEndpoint.objects.get(name="Hotline 12345")
    assert ep.secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert ep.secret not in client.get("/notifications/webhooks/").content.decode()


def test_a_bad_url_is_answered_with_the_form_again(client_as: Any, street_admin: Any) -> None:
    response = client_as(street_admin).post("/notifications/webhooks/", {"name": "Hotline", "url": "javascript:x"})
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.filter(name="Hotline").exists()


def test_a_street_admin_pauses_an_endpoint_from_the_page(
    client_as: Any, street_admin: Any, endpoint: WebhookEndpoint
) -> None:
    response = client_as(street_admin).post(f"/notifications/webhooks/{endpoint.pk}/active/", {"active": "0"})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.active is False


@pytest.mark.parametrize("who", ["staff_a", "worker_a", "resident"])
def test_others_are_refused_the_page(request: Any, client_as: Any, who: str, endpoint: WebhookEndpoint) -> None:
    client = client_as(request.getfixturevalue(who))
    assert client.get("/notifications/webhooks/").status_code == 403
    assert client.post("/notifications/webhooks/", {"name": "x", "url": "https://example.cn/x"}).status_code == 403
    assert client.post(f"/notifications/webhooks/{endpoint.pk}/active/", {"active": "0"}).status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.active is True
