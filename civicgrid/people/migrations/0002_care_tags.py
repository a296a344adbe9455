"""Load the default care groups shipped in fixtures/care_tags.json (every installation needs them)."""

import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "care_tags.json"


def load(apps, schema_editor):
    CareTag = apps.get_model("people", "CareTag")
    for row in json.loads(FIXTURE.read_text(encoding="utf-8")):
        CareTag.objects.update_or_create(code=row["code"], defaults=row)


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
