"""Background jobs of the cases app."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def check_deadlines_task() -> dict[str, int]:
    """Warn at 80 % of a time limit, flag overdue cases, escalate them (enqueued every minute by `scheduler`)."""
    from .services import check_deadlines

    return check_deadlines()


@task()
def retrain_classifier(limit: int = 0) -> dict[str, Any]:
    """Retrain the category/kind classifier with the cases staff have confirmed (as `train_classifier` does).

    Every process picks the new model file up within a minute. Returns the training sources' sizes."""
    from . import classifier

    model = classifier.train(include_database=True, limit=limit or classifier.DATABASE_LIMIT)
    return {"sources": model.info["sources"], "seconds": model.info["seconds"], "trained_at": model.info["trained_at"]}
