from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from civicgrid.areas.models import Street
from civicgrid.core.errors import ServiceError
from civicgrid.open311.services import create_api_key


class Command(BaseCommand):
    help = "Issue an API key for an integration (Open311 client, app) and print it once; only its hash is stored."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help="which integration will use the key")
        parser.add_argument("--street", help="code of the street the key belongs to (needed when there are several)")

    def handle(self, *args: Any, **options: Any) -> None:
        code = options.get("street")
        if code:
            street = Street.objects.filter(code=code).first()
            if street is None:
                raise CommandError(f"No street with code {code}.")
        else:
            streets = list(Street.objects.order_by("id")[:2])
            if len(streets) != 1:
                raise CommandError("Name the street with --street CODE." if streets else "Create a street first.")
            street = streets[0]
        try:
            key, plain = create_api_key(None, options["name"], street=street)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(f"API key “{key.name}” for {street.name} (#{key.pk}); it is shown only this once:")
        self.stdout.write(plain)
