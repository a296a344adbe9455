"""Category and kind suggestions from a report's text. (Interface; the trained model replaces the body.)"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Classification:
    categories: list[tuple[str, float]]  # (category code, score), best first
    kinds: list[tuple[str, float]]  # (kind, score), best first


def classify(text: str, top: int = 5) -> Classification:
    from .models import Category

    scored = []
    for code, words in Category.objects.filter(parent__isnull=False, active=True).values_list("code", "description"):
        hits = sum(1 for w in words.replace("、", ",").split(",") if w and w[:2] in text)
        scored.append((code, float(hits)))
    scored.sort(key=lambda x: (-x[1], x[0]))
    if not scored or scored[0][1] == 0:
        scored = [("9901", 1.0)] + [s for s in scored if s[0] != "9901"]
    return Classification(categories=scored[:top], kinds=[("help", 1.0)])
