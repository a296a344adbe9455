"""Load the default case categories (fixtures/case_categories.csv) and the working calendar (fixtures/calendar.csv)."""

import csv
from pathlib import Path

from django.db import migrations

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def load(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    CalendarDay = apps.get_model("cases", "CalendarDay")
    with (FIXTURES / "case_categories.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_code = {}
    for row in rows:  # parents come before their children in the file
        by_code[row["code"]] = Category.objects.update_or_create(
            code=row["code"],
            defaults={
                "parent": by_code.get(row["parent"]) if row["parent"] else None,
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "responder_kind": row["responder"],
                "accept_minutes": round(float(row["accept_hours"] or 0) * 60),
                "resolve_minutes": round(float(row["resolve_hours"] or 0) * 60),
                "urgent": row["urgent"] == "1",
                "description": row["description"],
            },
        )[0]
    with (FIXTURES / "calendar.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            CalendarDay.objects.update_or_create(
                date=row["date"], defaults={"is_workday": row["is_workday"] == "1", "note": row["note"]}
            )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
