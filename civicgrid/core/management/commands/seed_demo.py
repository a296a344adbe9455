import argparse
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from civicgrid.areas.locator import invalidate
from civicgrid.areas.models import Street
from civicgrid.core.demo.street import SCALES, DemoBuilder


class Command(BaseCommand):
    help = "Build the demo street (九江街道, 98 grids, ~30,000 residents) or, with --scale district, a district."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same data)")
        parser.add_argument("--scale", choices=sorted(SCALES), default="street")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when a street already exists")
        parser.add_argument(
            "--cases",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="a year of case history (default: yes for the street, no for tiny and district)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Street.objects.exists():
            self.stdout.write("Demo data already loaded; skipping seed_demo.")
            return
        if Street.objects.exists():
            self.stderr.write("The database already holds a street; seed_demo needs an empty database.")
            raise SystemExit(1)
        started = time.perf_counter()
        stats = DemoBuilder(seed=options["seed"], scale=options["scale"], cases=options["cases"]).build()
        if connection.vendor == "postgresql":
            # Fresh statistics for the planner: until autovacuum gets round to it (never, where it is off), the
            # district's resident list is planned without them and takes a second a page instead of tens of ms.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        invalidate()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Seeded {options['scale']} in {elapsed:.1f}s: {stats.streets} street(s), {stats.communities} communities, "
            f"{stats.grids} grids, {stats.buildings} buildings, {stats.houses} houses, {stats.households} households, "
            f"{stats.residents} residents, {stats.units} units, {stats.users} accounts"
            + (
                f", {stats.extra['cases']} cases ({stats.extra['open']} open, {stats.extra['overdue']} overdue)."
                if "cases" in stats.extra
                else "."
            )
        )
