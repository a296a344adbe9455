from typing import Any

from django.core.management.base import BaseCommand, CommandError

from civicgrid.audit.models import AuditEvent
from civicgrid.audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exits non-zero if any row was edited or removed."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = list(verify_chain())
        for p in problems:
            self.stderr.write(f"#{p.seq}: {p.problem}")
        if problems:
            raise CommandError(f"Audit trail is NOT intact: {len(problems)} problem(s).")
        self.stdout.write(f"Audit trail intact: {AuditEvent.objects.count()} events verified.")
