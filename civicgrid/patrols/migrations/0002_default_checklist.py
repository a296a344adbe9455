"""Load the shipped default patrol checklist (fixtures/checklist.csv), shared by every street until it edits its own."""

import csv
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "checklist.csv"


def load(apps, schema_editor):
    ChecklistItem = apps.get_model("patrols", "ChecklistItem")
    Category = apps.get_model("cases", "Category")
    with FIXTURE.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            ChecklistItem.objects.update_or_create(
                street=None,
                code=row["code"],
                defaults={"name": row["name"], "category": Category.objects.get(code=row["category_code"]), "order": int(row["order"])},
            )


class Migration(migrations.Migration):
    dependencies = [("patrols", "0001_initial"), ("cases", "0002_default_data")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
