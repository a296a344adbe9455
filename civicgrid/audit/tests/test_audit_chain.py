import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from civicgrid.audit.models import AuditEvent
from civicgrid.audit.services import record, verify_chain

pytestmark = pytest.mark.django_db


def test_a_fresh_chain_verifies(street_admin):
    record(street_admin, "test.one", street_admin, after={"x": 1})
    record(street_admin, "test.two", street_admin, before={"x": 1}, after={"x": 2}, reason="因为")
    assert list(verify_chain()) == []
    call_command("verify_audit")


def test_each_event_links_to_the_previous_hash(street_admin):
    a = record(street_admin, "test.one", street_admin)
    b = record(street_admin, "test.two", street_admin)
    assert b.seq == a.seq + 1
    assert b.prev_hash == a.hash


def test_it_detects_an_edited_row(street_admin):
    e = record(street_admin, "test.one", street_admin, after={"role": "grid_worker"})
    record(street_admin, "test.two", street_admin)
    with connection.cursor() as cur:  # behind the model's back, as an attacker with database access would
        cur.execute("UPDATE audit_auditevent SET after = %s WHERE seq = %s", ['{"role": "street_admin"}', e.seq])
    problems = list(verify_chain())
    assert any(p.seq == e.seq and "edited" in p.problem for p in problems)
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_it_detects_a_deleted_row(street_admin):
    record(street_admin, "test.one", street_admin)
    middle = record(street_admin, "test.two", street_admin)
    record(street_admin, "test.three", street_admin)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE seq = %s", [middle.seq])
    assert any("missing" in p.problem for p in verify_chain())


def test_it_detects_a_removed_tail(street_admin):
    record(street_admin, "test.one", street_admin)
    last = record(street_admin, "test.two", street_admin)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE seq = %s", [last.seq])
    assert any("head" in p.problem for p in verify_chain())


def test_events_cannot_be_updated_or_deleted_through_the_model(street_admin):
    e = record(street_admin, "test.one", street_admin)
    with pytest.raises(RuntimeError):
        e.save()
    with pytest.raises(RuntimeError):
        e.delete()
    assert AuditEvent.objects.filter(seq=e.seq).exists()
