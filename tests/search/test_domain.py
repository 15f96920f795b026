"""The pure search logic (no database): segmentation, synonyms, ranking."""

from pathlib import Path

import pytest

from yijianshi.search.domain.analyzer import Analyzer, document_phrases
from yijianshi.search.domain.resources import load_analyzer
from yijianshi.search.domain.scoring import Candidate, CorpusStatistics, rank
from yijianshi.search.domain.synonyms import SynonymTable
from yijianshi.search.domain.text import compact, normalize, without_brackets
from yijianshi.search.domain.tokenizer import DictionaryEntry, DomainTokenizer, parse_dictionary

SEARCH_DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "search"


@pytest.fixture(scope="module")
def plain_tokenizer():
    return DomainTokenizer([], stopwords={"的", "怎么"})


@pytest.fixture(scope="module")
def domain_tokenizer():
    return DomainTokenizer([DictionaryEntry("交房即交证")], stopwords={"的", "怎么"})


@pytest.fixture(scope="module")
def project_analyzer() -> Analyzer:
    return load_analyzer(SEARCH_DATA_DIR)


def test_normalize_folds_full_width_case_and_drops_punctuation_and_emoji():
    assert normalize("ＡＢＣ，开饭馆！😀") == "abc 开饭馆"
    assert compact("  新生儿 出生  ") == "新生儿出生"
    assert without_brackets("出具死亡证明（正常死亡）") == "出具死亡证明"


def test_dictionary_lines_parse_word_frequency_and_tag_and_skip_comments():
    entries = parse_dictionary(["# comment", "", "营业执照", "不动产 300 n", "公积金 n  # why"])
    assert entries == [DictionaryEntry("营业执照"), DictionaryEntry("不动产", 300, "n"), DictionaryEntry("公积金", None, "n")]


def test_tokenizer_keeps_a_dictionary_word_whole(plain_tokenizer, domain_tokenizer):
    assert "交房即交证" not in plain_tokenizer.words("交房即交证")
    assert domain_tokenizer.words("交房即交证") == ["交房即交证"]


def test_tokenizer_drops_stop_words(domain_tokenizer):
    assert domain_tokenizer.words("交房即交证的怎么") == ["交房即交证"]


def test_project_dictionary_keeps_domain_words_whole(project_analyzer):
    words = project_analyzer.tokenizer.words("退役士兵到公众聚集场所申领营业执照")
    assert {"退役士兵", "公众聚集场所", "营业执照"} <= set(words)


def test_synonyms_map_residents_words_to_catalog_words():
    table = SynonymTable({"饭馆": ["餐饮店", "餐饮"], "娃": ["新生儿"]})
    assert ("饭馆", "餐饮") in table.expand("我想开饭馆")
    assert table.expand("开个小卖部") == []


def test_synonyms_prefer_the_longest_everyday_phrase():
    table = SynonymTable({"社保": ["社会保险"], "社保卡": ["社会保障卡"]})
    assert table.expand("补办社保卡") == [("社保卡", "社会保障卡")]


def test_one_character_synonym_matches_only_a_whole_word():
    table = SynonymTable({"娃": ["新生儿"]})
    assert table.expand("娃出生了", words=["娃", "出生"]) == [("娃", "新生儿")]
    assert table.expand("娃娃机", words=["娃娃机"]) == []


def test_query_analysis_adds_synonym_terms_with_less_weight(project_analyzer):
    query = project_analyzer.query("开饭馆")
    assert "餐饮" in query.terms
    assert query.terms["餐饮"] < 1.0


def test_query_core_leaves_out_stop_words(project_analyzer):
    assert project_analyzer.query("我想办理就业登记！").core == "就业登记"


def test_blank_and_meaningless_queries_analyse_to_no_terms(project_analyzer):
    for text in ["", "   ", "！？。", "😀🙂", "的了吗"]:
        assert project_analyzer.query(text).is_empty


def _candidates(analyzer: Analyzer, documents: dict[str, tuple[str, list[str]]]):
    candidates = []
    for code, (kind, texts) in documents.items():
        frequencies = analyzer.document_terms([("name", texts[0]), *(("alias", t) for t in texts[1:])])
        candidates.append(Candidate(key=code, kind=kind, length=sum(frequencies.values()),
                                    phrases=document_phrases(texts[0], texts[1:]), frequencies=frequencies))
    return candidates


def test_scoring_ranks_the_document_named_exactly_first(project_analyzer):
    candidates = _candidates(project_analyzer, {
        "RSJ-002": ("item", ["就业登记"]),
        "RSJ-003": ("item", ["失业登记"]),
        "RSJ-014": ("item", ["企业失业保险注销登记"]),
        "graduate": ("bundle", ["高校毕业生就业公共服务", "毕业找工作"]),
    })
    query = project_analyzer.query("失业登记")
    frequencies = {t: sum(1 for c in candidates if t in c.frequencies) for t in query.terms}
    statistics = CorpusStatistics(len(candidates), sum(c.length for c in candidates) / len(candidates), frequencies)
    ranked = rank(query, [c for c in candidates if set(c.frequencies) & set(query.terms)], statistics, limit=3)
    assert ranked[0][0].key == "RSJ-003"
