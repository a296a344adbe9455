from typing import Any

from django.core.management.base import BaseCommand

from civicgrid.accounts.choices import Role
from civicgrid.accounts.models import User
from civicgrid.core.demo.street import DEMO_PASSWORD

PREFERRED = [
    "jj_admin",
    "wanjia_staff",
    "wanjia03_leader",
    "wanjia03_worker",
    "quanshui09_steward1",
    "resident_demo",
    "merchant_demo",
]


class Command(BaseCommand):
    help = "Print one demo login for each role."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for role in Role:
            user = (
                User.objects.filter(role=role, username__in=PREFERRED).first()
                or User.objects.filter(role=role).order_by("id").first()
            )
            if user is None:
                continue
            extra = " (or log in with phone 13800000001)" if user.username == "resident_demo" else ""
            self.stdout.write(f"  {role.label:<18} {user.username:<24} {user.scope_label}{extra}")
