"""`python manage.py train_classifier [--evaluate] [--no-database] [--limit N]`: retrain the case classifier."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civicgrid.cases import classifier


class Command(BaseCommand):
    help = (
        "Train the case category/kind classifier on the shipped training split, the taxonomy and the cases staff "
        "have confirmed; write it to CIVICGRID_MODEL_DIR. --evaluate prints accuracy on the held-out split."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--evaluate", action="store_true", help="print held-out accuracy after training")
        parser.add_argument(
            "--no-database", action="store_true", help="train on the shipped data and the taxonomy only"
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=classifier.DATABASE_LIMIT,
            help="use at most this many (most recent) confirmed cases (default %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        model = classifier.train(include_database=not options["no_database"], limit=options["limit"])
        src = model.info["sources"]
        self.stdout.write(
            f"Trained on {src['total']} examples ({src['shipped']} shipped, {src['taxonomy']} from the taxonomy, "
            f"{src['confirmed']} confirmed cases) in {model.info['seconds']:.2f} s: "
            f"{len(model.category.labels)} categories, {model.info['features']} features → {classifier.model_path()}"
        )
        if options["evaluate"]:
            held_out = classifier.shipped_examples("test")
            m = classifier.evaluate(model, held_out)
            self.stdout.write(
                f"Held-out split ({len(held_out)} reports): category top-1 {m['category_top1']:.3f}, "
                f"top-3 {m['category_top3']:.3f}; kind top-1 {m['kind_top1']:.3f}"
            )
