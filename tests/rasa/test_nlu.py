"""The NLU's robustness components: homophone repair, topic evidence, denied entities."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.rasa.nlu import vocab as nlu_vocab
from bot.rasa.nlu import topic as nlu_topic
from bot.rasa.nlu import negation as nlu_negation
from bot.rasa.nlu import pinyin as nlu_pinyin


@pytest.mark.parametrize("typed, meant", [
    ("设保能缓交吗", "社保能缓交吗"),
    ("增直税怎么免", "增值税怎么免"),
    ("单保贷款能贷多少", "担保贷款能贷多少"),
    ("专例质押去哪办", "专利质押去哪办"),
    ("退逸军人有啥扶持", "退役军人有啥扶持"),
    ("六水两费减半", "六税两费减半"),
    ("我是做参饮的", "我是做餐饮的"),          # profile words from synonyms.yml too
    ("开了家便利点", "开了家便利店"),
])
def test_sound_alike_misspellings_are_repaired(typed, meant):
    assert nlu_pinyin.repairer().repair(typed) == meant


@pytest.mark.parametrize("text", [
    "事业单位的人能开店吗",      # 事业 is a word, though it sounds like 失业
    "我在长沙开奶茶店月流水4万",
    "社保缓缴怎么申请",
    "公式一下",
    "你们电话是多少",            # 是多 would cut 多少
    "没有的事",                  # 的士 is a word, 的事 is not a misspelling of it
    "返乡创业的话政府帮不帮",     # 不 read fou would sound like 扶
    "我要找人工",
    "小规模和一般纳税人哪个交税少",
    "一年200万的流水",
])
def test_correct_text_is_left_alone(text):
    assert nlu_pinyin.repairer().repair(text) == text


def test_training_entities_follow_the_repair():
    message = Message(data={TEXT: "单保贷款能贷多少", "intent": "ask_guaranteed_loan",
                            ENTITIES: [{"entity": "x", "start": 0, "end": 4, "value": "单保贷款"},
                                       {"entity": "y", "start": 0, "end": 2, "value": "担保"}]})
    nlu_pinyin.HomophoneNormalizer().process_training_data(TrainingData([message]))
    assert message.get(TEXT) == "担保贷款能贷多少"
    assert [e["value"] for e in message.get(ENTITIES)] == ["担保贷款", "担保"]


def test_family_named_by_policy_keywords_from_the_knowledge_base():
    assert nlu_topic.families_named("宁波市在社会保险方面有哪些政策") == ["social_insurance"]
    assert nlu_topic.families_named("哪些企业可以享受普惠贷款") == ["guaranteed_loan"]
    assert nlu_topic.families_named("有什么政策") == []
    # Keywords come from the policy files, not only from the hand-written family words.
    assert "创业担保贷款" in nlu_vocab.family_topics()["guaranteed_loan"]
    assert "【示例】" not in "".join(nlu_vocab.terms())


def test_topic_features_mark_the_family_on_sentence_and_tokens():
    import jieba
    from rasa.nlu.tokenizers.tokenizer import Token

    text = "杭州在社保方面有哪些政策"
    message = Message(data={TEXT: text})
    message.set("text_tokens", [Token(word, start) for word, start, _ in jieba.tokenize(text)])
    featurizer = nlu_topic.TopicFeaturizer("topic", nlu_topic.TopicFeaturizer.get_default_config())
    featurizer.process([message])
    sequence, sentence = message.get_sparse_features(TEXT)
    column = [f for f, _ in nlu_topic.patterns()].index("social_insurance")
    assert sentence.features.toarray()[0].tolist() == [float(i == column) for i in range(len(nlu_topic.patterns()))]
    tokens = [t.text for t in message.get("text_tokens")]
    marked = [tokens[i] for i in sequence.features.toarray()[:, column].nonzero()[0]]
    assert marked == ["社保"]


@pytest.mark.parametrize("text, word, dropped", [
    ("不是个体户是公司", "个体户", True),
    ("我们不是个体户我们是有限公司", "有限公司", False),
    ("是不是个体户都能办", "个体户", False),
    ("我不是退役军人", "退役军人", True),
    ("我是个体户", "个体户", False),
])
def test_denied_vocabulary_entities_are_dropped(text, word, dropped):
    start = text.index(word)
    entity = {"entity": "entity_type", "start": start, "end": start + len(word), "value": word}
    region = {"entity": "region", "start": 0, "end": 1, "value": text[0]}
    message = Message(data={TEXT: text, ENTITIES: [entity, region]})
    nlu_negation.NegatedEntityFilter().process([message])
    assert (entity not in message.get(ENTITIES)) is dropped
    assert region in message.get(ENTITIES)


@pytest.mark.parametrize("text, expected", [
    ("我在村里养鱼的想问下有啥补贴", [("industry", "农业", "养鱼")]),
    ("我是个体户做餐饮的", [("entity_type", "个体工商户", "个体户"), ("industry", "餐饮", "做餐饮")]),
    ("退役军人创业有什么扶持", [("identity", "退役军人", "退役军人")]),
    ("失业保险费率降了吗", []),              # part of a policy's name, not the owner
    ("招大学生有补贴吗", []),                # the people hired, not the owner
    ("小微企业所得税怎么交", []),
    ("哪些企业可以享受普惠贷款", []),        # generic word
])
def test_profile_words_diet_missed_are_added(text, expected):
    from bot.rasa.nlu.vocab_entities import VocabularyEntityExtractor

    message = Message(data={TEXT: text, ENTITIES: []})
    VocabularyEntityExtractor().process([message])
    assert [(e["entity"], e["value"], text[e["start"]:e["end"]]) for e in message.get(ENTITIES)] == expected


def test_extracted_entities_are_kept_and_not_duplicated():
    from bot.rasa.nlu.vocab_entities import VocabularyEntityExtractor

    text = "我开早餐店的在村里养鱼"
    diet = {"entity": "industry", "start": 2, "end": 5, "value": "餐饮", "extractor": "DIETClassifier"}
    message = Message(data={TEXT: text, ENTITIES: [diet]})
    VocabularyEntityExtractor().process([message])
    assert message.get(ENTITIES) == [diet]      # one industry per message: DIET's choice stands


def test_sound_alike_spellings_get_the_same_pinyin_features():
    from bot.rasa.nlu.pinyin_features import grams, syllables

    assert grams(syllables("蟹蟹")) == grams(syllables("谢谢"))
    assert grams(syllables("设保")) == grams(syllables("社保"))
    assert "b:xie_xie" in grams(syllables("谢谢"))
    assert grams(syllables("ok")) == []                      # letters are left to the char n-grams


def test_pinyin_featurizer_marks_tokens_and_sentence():
    import jieba
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.tokenizers.tokenizer import Token

    from bot.rasa.nlu.pinyin_features import PinyinFeaturizer, grams, syllables

    config = PinyinFeaturizer.get_default_config()
    featurizer = PinyinFeaturizer(config, LocalModelStorage.__new__(LocalModelStorage), Resource("pinyin"),
                                  vocabulary={g: i for i, g in enumerate(sorted(set(grams(syllables("谢谢社保")))))})
    text = "蟹蟹设保"
    message = Message(data={TEXT: text})
    message.set("text_tokens", [Token(word, start) for word, start, _ in jieba.tokenize(text)])
    featurizer.process([message])
    sequence, sentence = message.get_sparse_features(TEXT)
    assert sentence.features.toarray().sum() == len(grams(syllables(text)))
    assert sequence.features.shape == (len(message.get("text_tokens")), len(featurizer.vocabulary))


@pytest.mark.parametrize("text, expected", [
    ("我开火锅店请了8个服务员一年营业额差不多一百五十万左右", [("employees", 8), ("annual_sales", 150.0)]),
    ("店里员工12人，月流水大概五万", [("employees", 12), ("monthly_sales", 5.0)]),
    ("每个月也就两万出头收入", [("monthly_sales", 2.0)]),
    ("房租一个月六千压力大", []),              # rent is not sales
    ("贷款20万一年利息多少", []),
    ("季度销售额30万以下免税吗", []),          # a quarter is neither field
    ("我们有三个亲戚帮忙", []),                # family helping is not staff
])
def test_head_counts_and_sales_diet_missed_are_added(text, expected):
    from bot.rasa.nlu.numbers import missed

    assert [(e["entity"], e["value"]) for e in missed(text, [])] == expected


@pytest.mark.parametrize("text, said, period", [
    ("一年营业额80万", "80万", "annual_sales"),
    ("月流水5万", "5万", "monthly_sales"),
    ("营业额80万一年", "80万", "annual_sales"),
    ("一年卖了一百万，月均八万", "八万", "monthly_sales"),
    ("一季度卖了30万", "30万", None),
])
def test_sales_figures_get_the_period_their_words_say(text, said, period):
    from bot.rasa.nlu.numbers import fix_periods

    start = text.index(said)
    for tagged in ("monthly_sales", "annual_sales"):
        entity = {"entity": tagged, "start": start, "end": start + len(said), "value": 1.0}
        assert [e["entity"] for e in fix_periods(text, [entity])] == ([period] if period else [])


def test_a_place_diet_cut_in_two_is_one_region():
    from bot.rasa.nlu.normalizer import ProfileEntityNormalizer

    text = "我在南京市江宁区开店，老家上海"
    entities = [{"entity": "region", "start": 2, "end": 5, "value": "南京市"},
                {"entity": "region", "start": 5, "end": 8, "value": "江宁区"},
                {"entity": "region", "start": 13, "end": 15, "value": "上海"}]
    merged = ProfileEntityNormalizer.merge_regions(text, entities)
    assert [e["value"] for e in merged] == ["南京市江宁区", "上海"]
