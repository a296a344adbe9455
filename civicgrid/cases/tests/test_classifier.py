"""Category and kind suggestions: the shipped data, held-out accuracy, ranking over active leaf categories, the
classify endpoint, retraining from confirmed cases, and the model file's life (written, reloaded, retrained)."""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command

from civicgrid.cases import classifier
from civicgrid.cases.choices import Kind
from civicgrid.cases.models import Category
from civicgrid.cases.services import Intake, submit_case, take_step

pytestmark = pytest.mark.django_db

URL = "/api/v1/cases/classify"
CHARGING = "楼道里有人私拉飞线给电瓶车充电，插线板就放在地上"

# Measured on the held-out split when the training set was written (2026-11-26): category top-1 0.746, top-3 0.929,
# kind top-1 0.746 (169 reports). The thresholds sit a little below, so that a change of data or model that
# costs accuracy fails here rather than in a resident's hands.
MIN_TOP1 = 0.70
MIN_TOP3 = 0.88
MIN_KIND_TOP1 = 0.70


@pytest.fixture(scope="module")
def trained(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> tuple[classifier.Model, Path]:
    """One model for the module, trained on the shipped split and the taxonomy, saved in a temporary directory."""
    with django_db_blocker.unblock():
        model = classifier.fit(classifier.training_set().examples)
    path = tmp_path_factory.mktemp("models") / "classifier.joblib"
    classifier.save(model, path)
    return model, path


@pytest.fixture(autouse=True)
def serving(trained: tuple[classifier.Model, Path], settings: Any, monkeypatch: Any) -> Any:
    """Each test starts with a fresh process state serving the module's model from its file."""
    model, path = trained
    settings.CIVICGRID_MODEL_DIR = path.parent
    monkeypatch.setattr(classifier, "_state", classifier._State())
    classifier._install(model, path.stat().st_mtime)
    yield
    classifier.invalidate_categories()  # a test may have changed categories inside its rolled-back transaction


def leaf_codes() -> set[str]:
    return set(Category.objects.filter(parent__isnull=False, active=True).values_list("code", flat=True))


def post_json(client: Any, body: dict[str, Any]) -> Any:
    return client.post(URL, json.dumps(body), content_type="application/json")


# --- the shipped data ---------------------------------------------------------------------------------------------


def test_the_training_data_covers_every_leaf_category_and_every_kind() -> None:
    with classifier.TRAINING_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    per_category = Counter(r["category_code"] for r in rows)
    assert len(rows) >= 600
    assert set(per_category) == leaf_codes()
    assert min(per_category.values()) >= 12
    assert {r["kind"] for r in rows} == set(Kind.values)
    assert len({r["text"] for r in rows}) == len(rows), "every report is written once"


def test_about_a_fifth_of_each_category_is_held_out_and_never_trained_on() -> None:
    train, test = classifier.shipped_examples("train"), classifier.shipped_examples("test")
    assert not {e.text for e in train} & {e.text for e in test}
    total = Counter(e.category for e in train + test)
    held = Counter(e.category for e in test)
    for code, n in total.items():
        assert abs(held[code] - 0.2 * n) <= 1, code


# --- accuracy ------------------------------------------------------------------------------------------------------


def test_the_held_out_accuracy_is_at_least_what_was_measured(trained: tuple[classifier.Model, Path]) -> None:
    metrics = classifier.evaluate(trained[0], classifier.shipped_examples("test"))
    assert metrics["category_top1"] >= MIN_TOP1, metrics
    assert metrics["category_top3"] >= MIN_TOP3, metrics
    assert metrics["kind_top1"] >= MIN_KIND_TOP1, metrics


def test_training_is_deterministic_and_takes_seconds(trained: tuple[classifier.Model, Path]) -> None:
    again = classifier.fit(classifier.training_set().examples)
    assert again.info["seconds"] < 10
    assert again.category.labels == trained[0].category.labels
    assert np.allclose(again.category.weights, trained[0].category.weights)


def test_served_features_are_exactly_scikit_learns(trained: tuple[classifier.Model, Path]) -> None:
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [e.text for e in classifier.training_set().examples]
    word_vec = TfidfVectorizer(analyzer=classifier.words, sublinear_tf=True).fit(texts)
    char_vec = TfidfVectorizer(analyzer=classifier.char_ngrams, sublinear_tf=True, min_df=classifier.CHAR_MIN_DF).fit(
        texts
    )
    model = trained[0]
    for text in [CHARGING, "垃圾捅满了！！没人收", "KTV   太吵", "请问低保咋个申请？"]:
        expected = hstack([word_vec.transform([text]), char_vec.transform([text])]).toarray()[0]
        idx, vals = model.features(text)
        got = np.zeros_like(expected)
        got[idx] = vals
        assert np.allclose(got, expected), text


# --- classify() ----------------------------------------------------------------------------------------------------


def test_it_ranks_active_leaf_categories_with_probabilities() -> None:
    leaves = leaf_codes()
    for example in classifier.shipped_examples("test")[::7]:
        result = classifier.classify(example.text)
        codes = [code for code, _ in result.categories]
        scores = [score for _, score in result.categories]
        assert 1 <= len(codes) <= 5 and set(codes) <= leaves
        assert scores == sorted(scores, reverse=True)
        assert 0 < sum(scores) <= 1 + 1e-9
        kinds = [k for k, _ in result.kinds]
        assert set(kinds) <= set(Kind.values) and len(kinds) == 5
        assert abs(sum(s for _, s in result.kinds) - 1) < 1e-9


def test_it_suggests_what_a_grid_worker_would() -> None:
    assert classifier.classify(CHARGING).categories[0][0] == "0303"
    asking = classifier.classify("请问低保咋个申请，要带啥子材料")
    assert asking.categories[0][0] == "0702"
    assert asking.kinds[0][0] == Kind.CONSULT
    assert classifier.classify("电梯关人了，2单元，快来", top=3).categories[0][0] == "0306"


def test_empty_text_goes_to_other_matters() -> None:
    for text in ["", "   ", "\n"]:
        result = classifier.classify(text)
        assert result.categories == [("9901", 1.0)]
        assert result.kinds == [(Kind.HELP, 1.0)]


def test_a_deactivated_category_is_never_suggested() -> None:
    assert classifier.classify(CHARGING).categories[0][0] == "0303"
    category = Category.objects.get(code="0303")
    category.active = False
    category.save()
    codes = [code for code, _ in classifier.classify(CHARGING).categories]
    assert "0303" not in codes and codes
    assert abs(sum(s for _, s in classifier.classify(CHARGING, top=50).categories) - 1) < 1e-9


# --- the endpoint ----------------------------------------------------------------------------------------------------


def test_anyone_can_ask_for_suggestions(client: Any) -> None:
    response = post_json(client, {"text": CHARGING})
    assert response.status_code == 200
    data = response.json()
    assert data["categories"][0]["code"] == "0303"
    assert data["categories"][0]["name"]
    scores = [c["score"] for c in data["categories"]]
    assert scores == sorted(scores, reverse=True) and len(scores) == 5
    assert {k["kind"] for k in data["kinds"]} == set(Kind.values)
    assert all(k["label"] for k in data["kinds"])


def test_a_logged_in_resident_gets_the_same(client_as: Any, resident: Any) -> None:
    response = post_json(client_as(resident), {"text": CHARGING})
    assert response.status_code == 200 and response.json()["categories"][0]["code"] == "0303"


@pytest.mark.parametrize("body", [{"text": ""}, {"text": "  \n "}, {}])
def test_empty_text_is_refused_naming_the_field(client: Any, body: dict[str, Any]) -> None:
    response = post_json(client, body)
    assert response.status_code == 400
    assert response.json()["field"] == "text" and response.json()["detail"]


def test_text_over_4000_characters_is_refused(client: Any) -> None:
    assert post_json(client, {"text": "垃" * 4000}).status_code == 200
    response = post_json(client, {"text": "垃" * 4001})
    assert response.status_code == 400
    assert response.json()["field"] == "text" and "4000" in response.json()["detail"]


# --- retraining ------------------------------------------------------------------------------------------------------


def _confirmed_case(worker: Any, text: str, code: str) -> Any:
    case, _ = submit_case(
        worker, Intake(description=text, category_code=code, kind="complaint", grid_id=worker.grid_id)
    )
    return take_step(worker, case, "accept")


def test_training_from_the_database_includes_confirmed_cases_only(worker_a: Any) -> None:
    before = classifier.training_set(include_database=True)
    texts = ["万家社区3栋门口垃圾桶又满了，臭得很", "2单元楼道里面又有人在充电", "小区东门路灯坏了一个星期"]
    for text, code in zip(texts, ["0101", "0303", "0401"], strict=True):
        _confirmed_case(worker_a, text, code)
    submit_case(worker_a, Intake(description="还没有受理的诉求", category_code="0101", grid_id=worker_a.grid_id))
    held_out = classifier.shipped_examples("test")[0]
    _confirmed_case(worker_a, held_out.text, held_out.category)

    after = classifier.training_set(include_database=True)
    assert after.counts()["confirmed"] == before.counts()["confirmed"] + 3
    assert after.counts()["total"] == before.counts()["total"] + 3
    confirmed = {(e.text, e.category, e.kind) for e in after.confirmed}
    assert ("万家社区3栋门口垃圾桶又满了，臭得很", "0101", "complaint") in confirmed
    assert "还没有受理的诉求" not in {e.text for e in after.confirmed}
    assert held_out.text not in {e.text for e in after.confirmed}, "held-out reports never leak into training"
    assert classifier.training_set(include_database=False).counts()["confirmed"] == 0


def test_the_retrain_task_learns_from_confirmed_cases(worker_a: Any, settings: Any, tmp_path: Path) -> None:
    from civicgrid.cases.tasks import retrain_classifier

    settings.CIVICGRID_MODEL_DIR = tmp_path
    _confirmed_case(worker_a, "9栋天台有人养了二十几只鸽子，鸽子屎掉得到处都是", "0102")
    result = retrain_classifier.enqueue()
    assert result.return_value is not None
    assert result.return_value["sources"]["confirmed"] >= 1
    assert (tmp_path / "classifier.joblib").exists()


def test_the_command_trains_writes_the_file_and_reports_held_out_accuracy(settings: Any, tmp_path: Path) -> None:
    settings.CIVICGRID_MODEL_DIR = tmp_path
    out = StringIO()
    call_command("train_classifier", "--evaluate", stdout=out)
    text = out.getvalue()
    assert (tmp_path / "classifier.joblib").exists()
    assert "Trained on" in text and "category top-1" in text and "kind top-1" in text


# --- the model file ---------------------------------------------------------------------------------------------------


def test_the_model_is_trained_at_first_use_then_reloaded_from_its_file(
    settings: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    settings.CIVICGRID_MODEL_DIR = tmp_path
    monkeypatch.setattr(classifier, "_state", classifier._State())  # a new process, no file yet
    first = classifier.classify(CHARGING)
    path = tmp_path / "classifier.joblib"
    assert path.exists()

    def no_training(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the saved model should have been loaded, not retrained")

    monkeypatch.setattr(classifier, "_state", classifier._State())  # another new process: loads the file
    monkeypatch.setattr(classifier, "fit", no_training)
    assert classifier.classify(CHARGING) == first


def test_a_model_file_older_than_the_training_data_is_retrained(
    trained: tuple[classifier.Model, Path], settings: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    settings.CIVICGRID_MODEL_DIR = tmp_path
    path = classifier.save(trained[0], tmp_path / "classifier.joblib")
    old = classifier.TRAINING_CSV.stat().st_mtime - 3600
    os.utime(path, (old, old))
    fits = []
    real_fit = classifier.fit
    monkeypatch.setattr(classifier, "fit", lambda examples: fits.append(1) or real_fit(examples))
    monkeypatch.setattr(classifier, "_state", classifier._State())
    classifier.get_model()
    assert fits == [1]
    assert path.stat().st_mtime > old


def test_an_unreadable_model_file_is_replaced(settings: Any, tmp_path: Path, monkeypatch: Any) -> None:
    settings.CIVICGRID_MODEL_DIR = tmp_path
    (tmp_path / "classifier.joblib").write_bytes(b"not a model")
    monkeypatch.setattr(classifier, "_state", classifier._State())
    assert classifier.classify(CHARGING).categories[0][0] == "0303"
    assert classifier.load(tmp_path / "classifier.joblib").category.labels


def test_the_old_keyword_matcher_is_kept_as_a_baseline() -> None:
    categories = list(Category.objects.filter(parent__isnull=False, active=True).values_list("code", "description"))
    assert classifier.keyword_baseline("电梯困人了", categories) == "0306"
    assert classifier.keyword_baseline("你好", categories) == "9901"
