"""The case classifier: held-out accuracy, single-text classifications per second, and peak memory.

- Accuracy: the model trained on the shipped training split and the taxonomy (what a fresh install serves), on
  the held-out split of fixtures/training_cases.csv, against the keyword matcher it replaced
  (`classifier.keyword_baseline`: description phrases' two-character prefixes found in the text), measured in the
  same run; the always-the-most-frequent-category baseline is in the notes.
- Speed: `classify()` one text at a time (as intake and the endpoint call it) over the held-out texts, against
  `jieba.lcut` alone on the same texts, the floor every classification pays. The notes add what scikit-learn's
  own transform + predict_proba costs per call, the path the served model avoids.
- Memory: a fresh Python process that imports Django, sets up, loads the classifier (jieba and the model file)
  and classifies 10,000 texts, against the same process doing only `django.setup()`: peak RSS from
  getrusage(RUSAGE_SELF).ru_maxrss. The notes add a process that trains at first use (scikit-learn imported).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from django.apps import apps

from bench.common import ROOT, Context, Result
from bench.db import migrate
from civicgrid.cases import classifier

RSS_TEXTS = 10_000

RSS_SCRIPT = """
import json, os, resource, sys
import django
django.setup()
mode = sys.argv[1]
if mode != "setup":
    from civicgrid.cases import classifier
    if mode == "train":
        classifier.train(path=classifier.model_path().with_name("rss-probe.joblib"))
    classifier.warm_up()
    texts = [e.text for e in classifier.shipped_examples("train") + classifier.shipped_examples("test")]
    for i in range(int(sys.argv[2])):
        classifier.classify(texts[i % len(texts)])
hwm = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({
    "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "vmhwm_kb": int(hwm), "sklearn": "sklearn" in sys.modules
}))
"""


def ensure_categories() -> None:
    """The bench database may have been flushed and re-seeded (bench.db.empty): put the shipped categories back."""
    from civicgrid.cases.models import Category

    if not Category.objects.filter(parent__isnull=False).exists():
        importlib.import_module("civicgrid.cases.migrations.0002_default_data").load(apps, None)
        classifier.invalidate_categories()


def keyword_ranking(text: str, categories: list[tuple[str, str]], top: int) -> list[str]:
    first = classifier.keyword_baseline(text, categories)
    rest = [code for code, _ in categories if code != first]
    hits = {code: sum(1 for w in desc.split("、") if w and w[:2] in text) for code, desc in categories}
    rest.sort(key=lambda code: (-hits[code], code))
    return [first, *rest][:top]


def accuracy(model: classifier.Model) -> tuple[dict[str, float], dict[str, float]]:
    from civicgrid.cases.models import Category

    test = classifier.shipped_examples("test")
    train = classifier.shipped_examples("train")
    got = classifier.evaluate(model, test)
    categories = list(
        Category.objects.filter(parent__isnull=False, active=True).order_by("code").values_list("code", "description")
    )
    kw1 = kw3 = 0
    for e in test:
        ranked = keyword_ranking(e.text, categories, 3)
        kw1 += ranked[0] == e.category
        kw3 += e.category in ranked
    frequent = [c for c, _ in Counter(e.category for e in train).most_common(3)]
    frequent_kind = Counter(e.kind for e in train).most_common(1)[0][0]
    n = len(test)
    baseline = {
        "keyword_top1": kw1 / n,
        "keyword_top3": kw3 / n,
        "majority_top1": sum(e.category == frequent[0] for e in test) / n,
        "majority_top3": sum(e.category in frequent for e in test) / n,
        "majority_kind_top1": sum(e.kind == frequent_kind for e in test) / n,
    }
    return got, baseline


def rate(fn: Any, texts: list[str]) -> float:
    for t in texts[:200]:  # warm caches
        fn(t)
    t0 = time.perf_counter()
    for t in texts:
        fn(t)
    return len(texts) / (time.perf_counter() - t0)


def sklearn_per_call_rate(texts: list[str]) -> float:
    """scikit-learn's own pipeline (two TfidfVectorizers + SGD predict_proba) called on one text at a time."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier

    examples = classifier.training_set().examples
    corpus = [e.text for e in examples]
    wv = TfidfVectorizer(analyzer=classifier.words, sublinear_tf=True).fit(corpus)
    cv = TfidfVectorizer(analyzer=classifier.char_ngrams, sublinear_tf=True, min_df=classifier.CHAR_MIN_DF).fit(corpus)
    x = hstack([wv.transform(corpus), cv.transform(corpus)]).tocsr()
    m = SGDClassifier(loss="log_loss", alpha=classifier.SGD_ALPHA, random_state=0).fit(
        x, [e.category for e in examples]
    )
    return rate(lambda t: m.predict_proba(hstack([wv.transform([t]), cv.transform([t])]).tocsr()), texts)


def peak_rss(mode: str) -> tuple[float, dict[str, Any]]:
    """Peak RSS in MB of a fresh process in `mode` (setup/serve/train), and notes.

    On Linux ru_maxrss survives fork and exec: a child started straight from this (large) process would report
    this process's size. So a small shell forks it (`sh -c '"$@"; exit $?'` cannot exec in place), and VmHWM,
    which belongs to the address space and restarts at exec, is read alongside as a check."""
    out = subprocess.run(
        ["/bin/sh", "-c", '"$@"; exit $?', "sh", sys.executable, "-c", RSS_SCRIPT, mode, str(RSS_TEXTS)],
        cwd=ROOT,
        env=os.environ.copy(),  # the same settings module and bench var dir as this run
        capture_output=True,
        text=True,
        check=True,
    )
    row = json.loads(out.stdout.strip().splitlines()[-1])
    return round(row["maxrss_kb"] / 1024, 1), {"vmhwm_mb": round(row["vmhwm_kb"] / 1024, 1), "sklearn": row["sklearn"]}


def run(ctx: Context) -> list[Result]:
    migrate()
    ensure_categories()
    classifier._jieba()
    # What a fresh install serves: the shipped split and the taxonomy (the bench database's cases are left out).
    t0 = time.perf_counter()
    model = classifier.train()
    train_seconds = time.perf_counter() - t0
    got, base = accuracy(model)
    notes_acc = {
        "held_out_reports": int(got["examples"]),
        "training_examples": model.info["sources"],
        "training_seconds": round(train_seconds, 2),
        "majority_class_top1": round(base["majority_top1"], 3),
        "majority_class_top3": round(base["majority_top3"], 3),
    }

    texts = [e.text for e in classifier.shipped_examples("test")]
    n = 20_000 if ctx.large else 5_000
    texts = (texts * (n // len(texts) + 1))[:n]
    import jieba

    classify_rate = rate(classifier.classify, texts)
    jieba_rate = rate(lambda t: jieba.lcut(t, HMM=False), texts)  # as the classifier cuts
    sklearn_rate = sklearn_per_call_rate(texts[:1000])

    setup_mb, setup_notes = peak_rss("setup")
    serve_mb, serve_notes = peak_rss("serve")
    train_mb, train_notes = peak_rss("train")

    return [
        Result(
            "classifier top-1 accuracy (held-out)",
            round(got["category_top1"], 3),
            "fraction",
            "old keyword matcher",
            round(base["keyword_top1"], 3),
            notes=notes_acc,
        ),
        Result(
            "classifier top-3 accuracy (held-out)",
            round(got["category_top3"], 3),
            "fraction",
            "old keyword matcher",
            round(base["keyword_top3"], 3),
            notes=notes_acc,
        ),
        Result(
            "kind top-1 accuracy (held-out)",
            round(got["kind_top1"], 3),
            "fraction",
            "always the most frequent kind",
            round(base["majority_kind_top1"], 3),
        ),
        Result(
            "classifications per second",
            round(classify_rate, 1),
            "/s",
            "jieba.lcut alone (HMM off), same texts",
            round(jieba_rate, 1),
            notes={"texts": len(texts), "sklearn_pipeline_per_call_per_s": round(sklearn_rate, 1)},
        ),
        Result(
            "peak RSS with classifier loaded",
            serve_mb,
            "MB",
            "same process, django.setup() only",
            setup_mb,
            notes={
                "classified_texts": RSS_TEXTS,
                "sklearn_imported_when_serving": serve_notes["sklearn"],
                "vmhwm_mb": serve_notes["vmhwm_mb"],
                "baseline_vmhwm_mb": setup_notes["vmhwm_mb"],
                "peak_rss_when_training_at_first_use_mb": train_mb,
                "sklearn_imported_when_training": train_notes["sklearn"],
            },
        ),
    ]
