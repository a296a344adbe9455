"""Category and kind suggestions from a report's text: jieba words + character 1–3-grams → two linear models.

Training (`train()`, about a second) uses scikit-learn: TF-IDF over jieba words and over character n-grams
(the n-grams catch typos and homophones such as 垃圾捅 or 电平车 that split into odd words), then one
`SGDClassifier` (log loss, one-vs-rest) for the category and one for the kind. Raw one-vs-rest probabilities of
such a model are far too flat (mean top-1 0.40 at 0.75 accuracy), so scores are a softmax of the decision values
with a temperature fitted on out-of-fold predictions: a suggestion scored 0.8 is right about 80 % of the time.

What it learns from:
- the shipped labelled reports, fixtures/training_cases.csv, split "train" (the "test" split is never trained
  on: it is what `train_classifier --evaluate`, the tests and the benchmark measure);
- the taxonomy itself: each active leaf category's Chinese name and description phrases, so that a category a
  street admin has just added is known at the next training;
- with `include_database=True` (the `train_classifier` command and the `retrain_classifier` task), the cases
  staff have confirmed: see `CONFIRMED_STATUSES`.

Serving needs only numpy and jieba. The model is saved as plain arrays (vocabularies, idf weights, coefficients)
to `settings.CIVICGRID_MODEL_DIR / "classifier.joblib"` and scored by `Model.predict()`: web processes never
import scikit-learn or scipy (lighter), and one classification costs a jieba cut plus a few array look-ups
(sklearn's per-call input validation alone would be several times slower). Each process keeps the model in
memory, reloads it when the file changes (checked every `RECHECK_SECONDS`), and trains at first use when the
file is missing, unreadable, of an older format, or older than the training CSV.
"""

from __future__ import annotations

import csv
import logging
import math
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from civicgrid.core.errors import ServiceError

from .choices import Kind, Status

logger = logging.getLogger(__name__)

FORMAT = 1  # bump when the saved bundle's layout or the features change: older files are retrained
TRAINING_CSV = Path(__file__).resolve().parent / "fixtures" / "training_cases.csv"
FALLBACK_CATEGORY = "9901"  # 其他事项
FALLBACK_KIND = Kind.HELP
MAX_TEXT = 4000
CHAR_NGRAMS = (1, 3)
CHAR_MIN_DF = 2  # a character n-gram seen in one report only is noise (and half the vocabulary)
SGD_ALPHA = 1e-4
RECHECK_SECONDS = 30.0
CATEGORIES_VERSION_KEY = "cases:classifier-categories-version"
DATABASE_LIMIT = 50_000  # most recent confirmed cases used for training (keeps retraining to seconds)

# Cases whose category staff have confirmed: every case a grid worker (or anyone of the dispatcher side) has
# accepted, whatever happened next, and cases closed on the spot by a worker. Not: submitted (the category
# may be this model's own unreviewed guess, and training on it would reinforce its mistakes), rejected (often
# not a real matter) and merged (a duplicate of another case's text). A correction made before accepting is
# what the model learns; a category changed later is read as it is now.
CONFIRMED_STATUSES = (
    Status.ACCEPTED,
    Status.DISPATCHED,
    Status.ACKNOWLEDGED,
    Status.IN_PROGRESS,
    Status.RESOLVED,
    Status.VERIFIED,
    Status.CLOSED,
    Status.SURVEYED,
    Status.PARKED,
)

_WHITESPACE = re.compile(r"\s+")
_SKIP_TOKEN = re.compile(r"^[\s\W_]+$")  # tokens of only whitespace or punctuation


@dataclass
class Classification:
    categories: list[tuple[str, float]]  # (category code, score), best first
    kinds: list[tuple[str, float]]  # (kind, score), best first


@dataclass(frozen=True)
class Example:
    """One labelled text; `kind` is "" where only the category is known (taxonomy phrases)."""

    text: str
    category: str
    kind: str = ""


# --- tokenisation -------------------------------------------------------------------------------------------

_jieba_lock = threading.Lock()
_jieba_ready = False


def _jieba() -> Any:
    """jieba, with its dictionary loaded once per process (the first cut costs ~0.8 s)."""
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba_ready = True
    return jieba


def _normalise(text: str) -> str:
    return _WHITESPACE.sub(" ", text.lower()).strip()


def words(text: str) -> list[str]:
    """jieba words of the text (dictionary words only), lower-cased, without whitespace and punctuation.

    jieba's HMM pass for unseen words is off: it costs ~45 % of the cutting time, and the character n-grams already
    see what it would find (names, addresses, typos); with and without it, held-out and cross-validated accuracy
    were the same within a point."""
    return [w for w in _jieba().lcut(_normalise(text), HMM=False) if not _SKIP_TOKEN.match(w)]


def char_ngrams(text: str) -> list[str]:
    """Character 1- to 3-grams of the normalised text (punctuation kept: “！！！” says something about the kind)."""
    return _ngrams(_normalise(text))


def _ngrams(text: str) -> list[str]:
    lo, hi = CHAR_NGRAMS
    return [text[i : i + n] for n in range(lo, hi + 1) for i in range(len(text) - n + 1)]


# --- the model as served --------------------------------------------------------------------------------------


@dataclass
class Head:
    """One softmax over labels: scores = softmax(temperature · (x · weights + bias))."""

    labels: list[str]
    weights: np.ndarray  # (n_features, n_labels)
    bias: np.ndarray  # (n_labels,)
    temperature: float

    def softmax(self, decision: np.ndarray) -> np.ndarray:
        """Probabilities from the decision values x · weights (without the bias)."""
        z = (decision + self.bias) * self.temperature
        z -= z.max()
        p = np.exp(z)
        return p / p.sum()  # type: ignore[no-any-return]


@dataclass
class Model:
    """A trained classifier: two TF-IDF vocabularies (words, character n-grams) and two heads."""

    word_vocab: dict[str, int]
    word_idf: np.ndarray
    char_vocab: dict[str, int]
    char_idf: np.ndarray
    category: Head
    kind: Head
    info: dict[str, Any] = field(default_factory=dict)
    # Both blocks' idf and both heads' weights side by side: one gather and one product per text.
    _idf: np.ndarray = field(init=False, repr=False)
    _weights: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._idf = np.concatenate((self.word_idf, self.char_idf))
        self._weights = np.ascontiguousarray(np.hstack((self.category.weights, self.kind.weights)))

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The TF-IDF row of the text as (column indices, values), exactly as scikit-learn's vectorisers give it:
        sublinear tf (1 + ln count) × idf, each block (words, then n-grams) L2-normalised on its own."""
        text = _normalise(text)
        idx: list[int] = []
        counts: list[int] = []
        # Unfiltered cut: whitespace and punctuation tokens are not in the vocabulary, so they drop out anyway.
        for token, n in Counter(_jieba().lcut(text, HMM=False)).items():
            if (j := self.word_vocab.get(token)) is not None:
                idx.append(j)
                counts.append(n)
        n_words, offset = len(idx), len(self.word_vocab)
        for gram, n in Counter(_ngrams(text)).items():
            if (j := self.char_vocab.get(gram)) is not None:
                idx.append(j + offset)
                counts.append(n)
        columns = np.array(idx, dtype=np.intp)
        vals = (1.0 + np.log(np.array(counts, dtype=np.float64))) * self._idf[columns]
        for block in (vals[:n_words], vals[n_words:]):
            if len(block):
                block /= math.sqrt(float(block @ block))
        return columns, vals

    def predict(self, text: str) -> tuple[np.ndarray, np.ndarray, int]:
        """(category probabilities, kind probabilities, number of known features) in the heads' label order."""
        idx, vals = self.features(text)
        decision = vals @ self._weights[idx] if len(idx) else np.zeros(self._weights.shape[1])
        n = len(self.category.labels)
        return self.category.softmax(decision[:n]), self.kind.softmax(decision[n:]), len(idx)

    def to_bundle(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "word_vocab": self.word_vocab,
            "word_idf": self.word_idf,
            "char_vocab": self.char_vocab,
            "char_idf": self.char_idf,
            "heads": {
                name: {"labels": h.labels, "weights": h.weights, "bias": h.bias, "temperature": h.temperature}
                for name, h in (("category", self.category), ("kind", self.kind))
            },
            "info": self.info,
        }

    @classmethod
    def from_bundle(cls, bundle: dict[str, Any]) -> Model:
        if bundle.get("format") != FORMAT:
            raise ValueError(f"classifier bundle format {bundle.get('format')!r}, expected {FORMAT}")
        heads = {name: Head(**h) for name, h in bundle["heads"].items()}
        return cls(
            word_vocab=bundle["word_vocab"],
            word_idf=bundle["word_idf"],
            char_vocab=bundle["char_vocab"],
            char_idf=bundle["char_idf"],
            category=heads["category"],
            kind=heads["kind"],
            info=bundle.get("info", {}),
        )


# --- training data ----------------------------------------------------------------------------------------------


def shipped_examples(split: str) -> list[Example]:
    """The labelled reports shipped in fixtures/training_cases.csv, split "train" or "test"."""
    with TRAINING_CSV.open(encoding="utf-8", newline="") as fh:
        return [
            Example(row["text"], row["category_code"], row["kind"])
            for row in csv.DictReader(fh)
            if row["split"] == split
        ]


def taxonomy_examples() -> list[Example]:
    """Each active leaf category's Chinese name and description phrases (“垃圾桶满了没人清运、垃圾堆在路边”)."""
    from .models import Category

    out = []
    for code, name, description in Category.objects.filter(active=True, parent__isnull=False).values_list(
        "code", "name_zh", "description"
    ):
        out.append(Example(name, code))
        out.extend(Example(p.strip(), code) for p in re.split(r"[、,，;；]", description) if p.strip())
    return out


def confirmed_examples(limit: int = DATABASE_LIMIT, exclude_texts: Iterable[str] = ()) -> list[Example]:
    """The most recent cases whose category staff confirmed (see CONFIRMED_STATUSES), in an active leaf category.

    Texts equal to `exclude_texts` (the held-out split) are left out, so that demo data or a resident who typed
    a held-out sentence cannot leak it into training and flatter the measured accuracy."""
    from .models import Case

    excluded = {_normalise(t) for t in exclude_texts}
    rows = (
        Case.objects.filter(status__in=CONFIRMED_STATUSES, category__active=True, category__parent__isnull=False)
        .order_by("-created_at")
        .values_list("description", "category__code", "kind")[:limit]
    )
    return [Example(text, code, kind) for text, code, kind in rows if text.strip() and _normalise(text) not in excluded]


@dataclass
class TrainingSet:
    shipped: list[Example]
    taxonomy: list[Example]
    confirmed: list[Example]

    @property
    def examples(self) -> list[Example]:
        return self.shipped + self.taxonomy + self.confirmed

    def counts(self) -> dict[str, int]:
        return {
            "shipped": len(self.shipped),
            "taxonomy": len(self.taxonomy),
            "confirmed": len(self.confirmed),
            "total": len(self.examples),
        }


def training_set(include_database: bool = False, limit: int = DATABASE_LIMIT) -> TrainingSet:
    confirmed: list[Example] = []
    if include_database:
        confirmed = confirmed_examples(limit, exclude_texts=(e.text for e in shipped_examples("test")))
    return TrainingSet(shipped_examples("train"), taxonomy_examples(), confirmed)


# --- training (scikit-learn, imported only here) ------------------------------------------------------------------


def _sgd(seed: int) -> Any:
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss="log_loss", alpha=SGD_ALPHA, max_iter=100, tol=1e-4, random_state=seed)


def _fit_head(x: Any, labels: Sequence[str], seed: int) -> Head:
    """Fit one SGD model, then its softmax temperature on 3-fold out-of-fold decision values."""
    from sklearn.model_selection import KFold

    y = np.asarray(labels)
    if len(set(labels)) < 3:  # a binary SGD model has one weight column, not one per label
        raise ValueError("the classifier needs examples of at least three labels")
    folds: list[tuple[np.ndarray, np.ndarray]] = []  # (decision rows, index of the true label in them)
    for tr, te in KFold(n_splits=3, shuffle=True, random_state=seed).split(y):
        if len(set(y[tr])) < 3:
            continue
        m = _sgd(seed).fit(x[tr], y[tr])
        pos = {c: i for i, c in enumerate(m.classes_)}
        keep = [i for i in te if y[i] in pos]
        if keep:
            folds.append((m.decision_function(x[keep]), np.array([pos[y[i]] for i in keep])))
    temperature = _best_temperature(folds)
    model = _sgd(seed).fit(x, y)
    return Head(
        labels=[str(c) for c in model.classes_],
        weights=np.ascontiguousarray(model.coef_.T, dtype=np.float64),
        bias=np.asarray(model.intercept_, dtype=np.float64),
        temperature=temperature,
    )


def _best_temperature(folds: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """The temperature minimising the out-of-fold log loss (1.0 when there is nothing to fit on)."""
    if not folds:
        return 1.0

    def nll(t: float) -> float:
        total, n = 0.0, 0
        for d, y in folds:
            z = d * t
            z = z - z.max(axis=1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            total -= float(logp[np.arange(len(y)), y].sum())
            n += len(y)
        return total / n

    grid = np.round(np.arange(0.25, 8.01, 0.25), 2)
    return float(min(grid, key=nll))


def fit(examples: Sequence[Example], seed: int = 0) -> Model:
    """Train both heads on the examples (those without a kind train the category head only)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer

    started = time.perf_counter()
    texts = [e.text for e in examples]
    word_vec = TfidfVectorizer(analyzer=words, sublinear_tf=True)
    char_vec = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True, min_df=CHAR_MIN_DF)
    from scipy.sparse import hstack

    x = hstack([word_vec.fit_transform(texts), char_vec.fit_transform(texts)]).tocsr()
    with_kind = np.array([i for i, e in enumerate(examples) if e.kind])
    with warnings.catch_warnings():
        # Tiny categories (a new one known only by its name) may not converge in 100 epochs; harmless.
        warnings.simplefilter("ignore", ConvergenceWarning)
        category = _fit_head(x, [e.category for e in examples], seed)
        kind = _fit_head(x[with_kind], [examples[i].kind for i in with_kind], seed)
    return Model(
        word_vocab={str(k): int(v) for k, v in word_vec.vocabulary_.items()},
        word_idf=np.asarray(word_vec.idf_, dtype=np.float64),
        char_vocab={str(k): int(v) for k, v in char_vec.vocabulary_.items()},
        char_idf=np.asarray(char_vec.idf_, dtype=np.float64),
        category=category,
        kind=kind,
        info={
            "trained_at": datetime.now().astimezone().isoformat(timespec="seconds"),
            "examples": len(examples),
            "features": x.shape[1],
            "seconds": round(time.perf_counter() - started, 3),
        },
    )


def model_path() -> Path:
    return Path(settings.CIVICGRID_MODEL_DIR) / "classifier.joblib"


def save(model: Model, path: Path | None = None) -> Path:
    """Write the model atomically (several processes may train at once: the last complete file wins)."""
    import joblib

    path = path or model_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    joblib.dump(model.to_bundle(), tmp)
    os.replace(tmp, path)
    return path


def load(path: Path | None = None) -> Model:
    import joblib

    # joblib files are pickles: only ever load the one this project wrote into its own var/ directory.
    return Model.from_bundle(joblib.load(path or model_path()))


def train(include_database: bool = False, limit: int = DATABASE_LIMIT, path: Path | None = None) -> Model:
    """Train on the shipped split, the taxonomy and (optionally) confirmed cases; save; serve it in this process."""
    data = training_set(include_database, limit)
    model = fit(data.examples)
    model.info["sources"] = data.counts()
    written = save(model, path)
    if path is None or written == model_path():
        _install(model, _mtime(written))
    logger.info("classifier trained on %s in %.2f s", data.counts(), model.info["seconds"])
    return model


def evaluate(model: Model, examples: Sequence[Example]) -> dict[str, float]:
    """Top-1 and top-3 accuracy of the category, top-1 of the kind, over all categories the model knows."""
    cat1 = cat3 = kind1 = 0
    for e in examples:
        cat_p, kind_p, _ = model.predict(e.text)
        order = np.argsort(-cat_p)
        ranked = [model.category.labels[i] for i in order[:3]]
        cat1 += ranked[0] == e.category
        cat3 += e.category in ranked
        kind1 += model.kind.labels[int(np.argmax(kind_p))] == e.kind
    n = len(examples) or 1
    return {
        "category_top1": cat1 / n,
        "category_top3": cat3 / n,
        "kind_top1": kind1 / n,
        "examples": float(len(examples)),
    }


# --- the process's model and categories ----------------------------------------------------------------------------

_lock = threading.RLock()


@dataclass
class _State:
    model: Model | None = None
    mtime: float | None = None  # of the file the model came from (None: trained here and not saved)
    checked: float = -math.inf
    trained_here: bool = False
    categories: dict[str, tuple[str, str]] | None = None  # active leaf code → (name_zh, name_en)
    categories_version: Any = None
    categories_checked: float = -math.inf


_state = _State()


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _install(model: Model, mtime: float | None) -> None:
    with _lock:
        _state.model, _state.mtime, _state.checked = model, mtime, time.monotonic()


def get_model() -> Model:
    """This process's model: loaded from disk, reloaded when the file changes, trained when missing or stale."""
    now = time.monotonic()
    model = _state.model
    if model is not None and now - _state.checked < RECHECK_SECONDS:
        return model
    with _lock:
        if _state.model is not None and now - _state.checked < RECHECK_SECONDS:
            return _state.model
        path = model_path()
        mtime = _mtime(path)
        fresh = mtime is not None and mtime >= (_mtime(TRAINING_CSV) or 0.0)
        if fresh and mtime != _state.mtime:
            try:
                _install(load(path), mtime)
            except Exception:
                logger.warning("classifier: cannot load %s, training a new model", path, exc_info=True)
                fresh = False
        # Train at most once per process: a file that cannot be written (or read) must not make every call train.
        if not fresh and not _state.trained_here:
            _state.trained_here = True
            data = training_set()
            model = fit(data.examples)
            model.info["sources"] = data.counts()
            try:
                mtime = _mtime(save(model, path))
            except OSError:
                logger.warning("classifier: cannot save the model to %s; keeping it in memory", path, exc_info=True)
                mtime = None
            _install(model, mtime)
        _state.checked = now
        assert _state.model is not None
        return _state.model


def _categories_changed(**kwargs: Any) -> None:
    invalidate_categories()


def invalidate_categories() -> None:
    """Called when categories change: every process re-reads the active leaf categories."""
    try:
        cache.incr(CATEGORIES_VERSION_KEY)
    except ValueError:
        cache.set(CATEGORIES_VERSION_KEY, 1, None)
    with _lock:
        _state.categories = None


def active_categories() -> dict[str, tuple[str, str]]:
    """Active leaf categories, code → (Chinese name, English name), re-read when a category changes."""
    now = time.monotonic()
    categories = _state.categories
    if categories is not None and now - _state.categories_checked < RECHECK_SECONDS:
        return categories
    from django.db.models.signals import post_delete, post_save

    from .models import Category

    with _lock:
        post_save.connect(_categories_changed, sender=Category, dispatch_uid="classifier-categories")
        post_delete.connect(_categories_changed, sender=Category, dispatch_uid="classifier-categories")
        version = cache.get(CATEGORIES_VERSION_KEY, 0)
        if _state.categories is None or _state.categories_version != version:
            _state.categories = {
                code: (zh, en)
                for code, zh, en in Category.objects.filter(active=True, parent__isnull=False).values_list(
                    "code", "name_zh", "name_en"
                )
            }
            _state.categories_version = version
        _state.categories_checked = now
        return _state.categories


def warm_up() -> None:
    """Load jieba and the model now (call at process start-up) rather than in the first request."""
    started = time.perf_counter()
    try:
        _jieba()
        get_model()
        active_categories()
    except Exception:  # the database may not be migrated yet: the first classification will try again
        logger.warning("classifier warm-up failed; it will load at first use", exc_info=True)
        return
    logger.info("classifier warmed up in %.2f s", time.perf_counter() - started)


# --- the public interface ------------------------------------------------------------------------------------------------


def check_text(text: str | None) -> str:
    """The text to classify, stripped; ServiceError (field "text") when empty or too long."""
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Text: please write what happened."), field="text")
    if len(text) > MAX_TEXT:
        raise ServiceError(
            _("Text: at most %(n)d characters (you wrote %(m)d).") % {"n": MAX_TEXT, "m": len(text)}, field="text"
        )
    return text


def _fallback() -> Classification:
    return Classification(categories=[(FALLBACK_CATEGORY, 1.0)], kinds=[(str(FALLBACK_KIND), 1.0)])


def classify(text: str, top: int = 5) -> Classification:
    """The `top` most likely active leaf categories and kinds of the text, best first.

    Scores are probabilities renormalised over the active leaf categories the model knows (so the full ranking
    sums to 1; the top 5 usually hold over 90 % of it). Empty text, or text with no word or character the model
    has ever seen, gives 其他事项 (9901).
    """
    text = (text or "").strip()[:MAX_TEXT]
    if not text:
        return _fallback()
    model = get_model()
    cat_p, kind_p, known = model.predict(text)
    if known == 0:
        return _fallback()
    active = active_categories()
    labels = model.category.labels
    known_active = np.fromiter((code in active for code in labels), dtype=bool, count=len(labels))
    cat_p = np.where(known_active, cat_p, 0.0)
    total = float(cat_p.sum())
    if total <= 0.0:
        return _fallback()
    order = np.argsort(-cat_p)[:top]
    categories = [(labels[i], float(cat_p[i]) / total) for i in order if known_active[i]]
    kinds = [(model.kind.labels[i], float(kind_p[i])) for i in np.argsort(-kind_p)[:top]]
    return Classification(categories=categories, kinds=kinds)


def keyword_baseline(text: str, categories: Sequence[tuple[str, str]]) -> str:
    """The matcher this classifier replaced, kept as the benchmark's baseline: the category whose description
    phrases share most two-character prefixes with the text (9901 when none does). `categories`: (code,
    description) of the active leaf categories."""
    best, best_hits = FALLBACK_CATEGORY, 0
    for code, description in categories:
        hits = sum(1 for w in re.split(r"[、,，]", description) if w and w[:2] in text)
        if hits > best_hits:
            best, best_hits = code, hits
    return best
