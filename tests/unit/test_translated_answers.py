"""An answer in another language than its documents that no passage supports word for word (a
Chinese sentence from an English page) is replaced by the quote of the passage sentence it
translates, framed in the question's language: the whole chain over a real Chroma index, with a
fake encoder that places a translation next to its original."""

from __future__ import annotations

from pathlib import Path

from fakes import KeywordHashEmbeddings, indexed

EXHIBITION = """# Tianjin hosts a Regong art exhibition

At the Binhai Art Gallery in Tianjin, a monthlong Regong Art Exhibition will be held for visitors.
Performers from Qinghai wearing ethnic costumes sang songs and danced at the opening evening.
"""


class TranslationEmbeddings(KeywordHashEmbeddings):
    """Keyword vectors, except that texts about the exhibition's length (in any language) share one."""

    def _vector(self, text: str) -> list[float]:
        if "热贡" in text or "monthlong" in text:
            return [1.0] + [0.0] * (self.dimensions - 1)
        return super()._vector(text)


def bot_replying(tmp_path: Path, reply: str):  # type: ignore[no-untyped-def]
    return indexed(tmp_path, {"exhibition.md": EXHIBITION}, TranslationEmbeddings()).assistant(reply)


def test_a_chinese_answer_from_an_english_page_becomes_the_framed_quote_it_translates(tmp_path: Path) -> None:
    bot = bot_replying(tmp_path, "热贡艺术展将持续一个月 [1]。")
    answer = bot.answer("热贡艺术展将持续多长时间？")
    assert not answer.refused
    assert answer.answer.startswith("据英文文件：“At the Binhai Art Gallery in Tianjin, a monthlong Regong Art Exhibition")
    assert answer.citations


def test_a_chinese_answer_close_to_no_passage_sentence_is_still_refused(tmp_path: Path) -> None:
    bot = bot_replying(tmp_path, "申请截止日期是三月一日 [1]。")
    assert bot.answer("热贡艺术展的申请截止日期是什么时候？").refused
