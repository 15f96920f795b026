"""The dispatch classifier on its own (no database): it learns, ranks, abstains, survives a save and load."""

import pytest

from yijianshi.hotline.dispatch.classifier import (
    CONFIDENCE_THRESHOLD,
    IncompatibleModel,
    Model,
    WordAnalyzer,
    needs_person,
    train,
)

EXAMPLES = [
    ("家里停电了，啥时候来电", "gdgs"),
    ("电费太高，电表是不是坏了", "gdgs"),
    ("电线杆倒了，电线掉在路上", "gdgs"),
    ("村里电压太低，灯泡发红", "gdgs"),
    ("小区停水了，没水做饭", "slj"),
    ("自来水发黄，水质有问题", "slj"),
    ("水管冻裂了，全村没水吃", "slj"),
    ("水压太小，楼上没水", "slj"),
    ("包工头拖欠工资不给", "rsj"),
    ("老板欠了三个月工钱", "rsj"),
    ("公司不交养老保险", "rsj"),
    ("辞退我不给结工资", "rsj"),
]


@pytest.fixture(scope="module")
def model():
    return train(EXAMPLES)


def test_it_learns_the_department_of_a_new_ticket(model):
    assert model.suggest("我家又停电了，电什么时候来")[0][0] == "gdgs"
    assert model.suggest("水龙头放不出水来，停水两天了")[0][0] == "slj"
    assert model.suggest("工地老板拖欠我们工资")[0][0] == "rsj"


def test_suggestions_are_ranked_probabilities_limited_to_k(model):
    ranked = model.suggest("停水了，水管子也冻了", k=3)
    assert len(ranked) == 3
    assert [code for code, _ in ranked][0] == "slj"
    scores = [score for _, score in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)
    assert len({code for code, _ in ranked}) == 3
    assert len(model.suggest("停水了", k=1)) == 1
    assert model.suggest("   ") == []


def test_a_ticket_below_the_threshold_waits_for_a_person():
    assert needs_person([]) is True
    assert needs_person([("gdgs", CONFIDENCE_THRESHOLD - 0.01), ("slj", 0.1)]) is True
    assert needs_person([("gdgs", CONFIDENCE_THRESHOLD), ("slj", 0.1)]) is False
    assert needs_person([("gdgs", 0.5)], threshold=0.6) is True


def test_an_unrelated_ticket_scores_lower_than_a_clear_one(model):
    # Nothing about electricity, water or wages. With only three departments the probabilities cannot all be
    # low (the real catalog's 30 are checked in test_dispatch_api), but the doubt must show.
    unrelated = model.suggest("请问图书馆几点开门")[0][1]
    assert unrelated < model.suggest("停电了，电表也坏了")[0][1]
    assert unrelated < 0.6


def test_a_saved_model_loads_and_answers_the_same(model, tmp_path):
    path = tmp_path / "nested" / "model.joblib"
    model.save(path)
    loaded = Model.load(path)
    assert loaded.version == model.version
    assert loaded.example_counts == {"gdgs": 4, "slj": 4, "rsj": 4}
    for text in ("停电了", "停水了", "欠工资"):
        assert loaded.suggest(text) == model.suggest(text)
    assert not list(tmp_path.glob("nested/*.tmp"))  # the temporary file was renamed into place


def test_a_model_with_jieba_words_also_survives_pickling(tmp_path):
    analyzer = WordAnalyzer(["拖欠工资"], stopwords=["的"])
    assert "拖欠工资" in analyzer("包工头拖欠工资的事")
    model = train(EXAMPLES, word_analyzer=analyzer)
    model.save(tmp_path / "m.joblib")
    assert Model.load(tmp_path / "m.joblib").suggest("老板拖欠工资")[0][0] == "rsj"


def test_a_file_of_another_format_is_refused(tmp_path):
    import joblib

    joblib.dump({"format_version": -1}, tmp_path / "old.joblib")
    with pytest.raises(IncompatibleModel):
        Model.load(tmp_path / "old.joblib")


def test_the_version_changes_with_the_training_data(model):
    assert train(EXAMPLES).version == model.version  # same data, same fingerprint
    assert train(EXAMPLES + [("电表过户", "gdgs")]).version != model.version


def test_operator_corrections_change_the_answer_after_retraining(model):
    # Street lights: the model guesses the power company; operators keep sending them to 城管.
    ticket = "街上的路灯坏了，晚上黑乎乎的"
    assert model.suggest(ticket)[0][0] != "cgj"
    corrections = [("路灯坏了不亮", "cgj"), ("路灯一个月没人修", "cgj"), ("街上路灯不亮了", "cgj"),
                   ("小区门口路灯坏了", "cgj")]
    assert train(EXAMPLES + corrections).suggest(ticket)[0][0] == "cgj"


def test_training_needs_two_departments():
    with pytest.raises(ValueError):
        train([("停电了", "gdgs"), ("又停电了", "gdgs")])
