"""E-mail digests: one mail per user with everything new, never the same notification twice."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.utils import timezone

from civicgrid.notifications import services, tasks
from civicgrid.notifications.models import Notification


def _three_for(user: Any) -> list[Notification]:
    notes = []
    for text in ("案件 JJ-1 已派单", "案件 JJ-2 已超时", "<b>案件 JJ-3</b> 已办结"):
        notes += services.notify([user], verb="case", text=text)
    return notes


def test_three_notifications_make_one_mail_listing_all_three(worker_a: Any) -> None:
    worker_a.email = "worker@example.cn"
    worker_a.save(update_fields=["email"])
    notes = _three_for(worker_a)
    mail.outbox.clear()
    assert tasks.send_digests.call() >= 1
    mine = [m for m in mail.outbox if m.to == ["worker@example.cn"]]
    assert len(mine) == 1
    for text in ("案件 JJ-1 已派单", "案件 JJ-2 已超时", "<b>案件 JJ-3</b> 已办结"):
        assert text in mine[0].body
    assert "3" in mine[0].subject
    assert Notification.objects.filter(id__in=[n.id for n in notes], emailed_at=None).count() == 0


def test_a_second_run_sends_nothing(worker_a: Any) -> None:
    worker_a.email = "worker@example.cn"
    worker_a.save(update_fields=["email"])
    _three_for(worker_a)
    tasks.send_digests.call()
    mail.outbox.clear()
    assert tasks.send_digests.call() == 0
    assert mail.outbox == []


def test_users_without_an_e_mail_are_skipped(worker_a: Any) -> None:
    worker_a.email = ""
    worker_a.save(update_fields=["email"])
    notes = _three_for(worker_a)
    mail.outbox.clear()
    tasks.send_digests.call()
    assert not any(m.to == [""] for m in mail.outbox)
    assert Notification.objects.filter(id__in=[n.id for n in notes], emailed_at=None).count() == 3


def test_read_notifications_are_not_e_mailed(worker_a: Any) -> None:
    worker_a.email = "worker@example.cn"
    worker_a.save(update_fields=["email"])
    first, *rest = _three_for(worker_a)
    services.mark_read(worker_a, [first.pk])
    mail.outbox.clear()
    tasks.send_digests.call()
    [sent] = [m for m in mail.outbox if m.to == ["worker@example.cn"]]
    assert first.text not in sent.body
    assert all(n.text in sent.body for n in rest)
    first.refresh_from_db()
    assert first.emailed_at is None and first.read_at is not None


def test_only_new_notifications_go_in_the_next_digest(worker_a: Any) -> None:
    worker_a.email = "worker@example.cn"
    worker_a.save(update_fields=["email"])
    _three_for(worker_a)
    tasks.send_digests.call()
    [later] = services.notify([worker_a], verb="case", text="案件 JJ-4 已退回")
    mail.outbox.clear()
    tasks.send_digests.call()
    [sent] = [m for m in mail.outbox if m.to == ["worker@example.cn"]]
    assert sent.body.count("\n") == 0 and "JJ-4" in sent.body
    assert Notification.objects.get(pk=later.pk).emailed_at <= timezone.now()
