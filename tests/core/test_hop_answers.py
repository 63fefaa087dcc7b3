"""Answers that need two documents, counts and Chinese answers from English or French pages: the
real encoders and Chroma over the bundled corpus, with a scripted chat model where a model writes."""

from __future__ import annotations

import chromadb
from conftest import assistant_with
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.answer.chain import Assistant
from assistant.settings import Settings

TIANJIN = "004_9bc1640c6c35c08d"
SHANGHAI = "000_b9dd7e996e632ef1"
KAZAKHSTAN_FR = "002_33c8dbfd173f49bb"


def scripted(shared_index: Settings, chroma_client: chromadb.api.ClientAPI, encoders: dict, reply: str) -> Assistant:
    llm = GenericFakeChatModel(messages=iter([AIMessage(content=reply)]))
    return assistant_with(shared_index, chroma_client, encoders, llm=llm)


def test_a_both_question_answered_yes_for_an_international_and_a_domestic_exchange_becomes_no(
    shared_index: Settings, chroma_client: chromadb.api.ClientAPI, encoders: dict
) -> None:
    bot = scripted(shared_index, chroma_client, encoders, "Yes. Both are international exchanges [1].")
    answer = bot.answer("Are both the Shanghai–Yunnan initiative and the China–Kazakhstan programme international exchanges?")
    assert answer.answer.startswith("No. ")
    assert [c.doc_id for c in answer.citations] == [SHANGHAI]


def test_a_figure_given_to_another_thing_than_the_passage_gives_it_is_refused(
    shared_index: Settings, chroma_client: chromadb.api.ClientAPI, encoders: dict
) -> None:
    bot = scripted(shared_index, chroma_client, encoders,
                   "1,000 visitors attended the Qinghai Regong Art Exhibition in Tianjin [1].")
    assert bot.answer("How many visitors attended the Qinghai Regong Art Exhibition in Tianjin?").refused
    bot = scripted(shared_index, chroma_client, encoders,
                   "The key projects signed between Tianjin and Qinghai fall into 24 categories [1].")
    assert bot.answer("The key projects signed between Tianjin and Qinghai fall into how many categories?").refused


def test_a_how_many_question_answered_with_the_items_leads_with_their_count(
    shared_index: Settings, chroma_client: chromadb.api.ClientAPI, encoders: dict
) -> None:
    bot = scripted(shared_index, chroma_client, encoders,
                   "The attendees of the Tianjin–Qinghai event came from government, enterprises, and social sectors [1].")
    answer = bot.answer("The attendees of the Tianjin–Qinghai event came from how many sectors?")
    assert answer.answer.startswith("Three [1]. The attendees")
    assert answer.citations[0].doc_id == TIANJIN


def test_a_chinese_answer_from_a_french_page_is_the_quote_it_translates(
    shared_index: Settings, chroma_client: chromadb.api.ClientAPI, encoders: dict
) -> None:
    bot = scripted(shared_index, chroma_client, encoders, "连云港与哈萨克斯坦的阿克套市结为友好城市 [1]。")
    answer = bot.answer("连云港与哈萨克斯坦的哪座城市结为友好城市？")
    assert not answer.refused
    assert answer.answer.startswith("据法文文件：“") and "Aktau" in answer.answer
    assert answer.citations[0].doc_id == KAZAKHSTAN_FR


def test_an_off_topic_chinese_question_is_still_refused(
    shared_index: Settings, chroma_client: chromadb.api.ClientAPI, encoders: dict
) -> None:
    bot = scripted(shared_index, chroma_client, encoders, "水银的沸点是三百五十七摄氏度 [1]。")
    assert bot.answer("水银的沸点是多少？").refused
