"""Language identification (offline, py3langid) for documents and questions."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Restricting the candidate set makes short questions far more reliable than langid's 97 languages.
SUPPORTED = (
    "en", "fr", "de", "es", "it", "pt", "nl", "zh", "ja", "ko", "ru", "ar",
    "el", "hi", "ro", "th", "tr", "vi", "pl", "uk", "sv", "da", "no", "fi", "cs",
)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages([lang for lang in SUPPORTED if lang in identifier.nb_classes])
    return identifier


def detect_language(text: str, default: str = "en") -> str:
    """ISO 639-1 code of `text`; `default` when the text is too short to tell. One answer asks
    this of the same passages many times (each claim checked against each passage), so the
    verdicts are cached on the sample the identifier reads."""
    return _detect(text[:5000], default)


@lru_cache(maxsize=1024)
def _detect(sample: str, default: str) -> str:
    letters = sum(ch.isalpha() for ch in sample)
    if letters == 0:
        return default
    # Script checks first: langid is weak on short CJK strings mixed with Latin names.
    if len(_KANA.findall(sample)) >= 2:
        return "ja"
    if len(_HANGUL.findall(sample)) >= 2:
        return "ko"
    if len(_HAN.findall(sample)) / letters > 0.3:
        return "zh"
    if letters < 3:
        return default
    ranked = _identifier().rank(sample)
    best, probability = ranked[0]
    if best not in _ANSWERED:
        # Short questions are ambiguous between neighbouring languages ("Que signifie le sigle
        # CCIPRA ?" is Italian at 0.52 and French at 0.37): the languages the assistant answers in
        # are the likelier ones, unless the text is clearly another language.
        runner_up = next(((lang, p) for lang, p in ranked[1:] if lang in _ANSWERED), None)
        if runner_up is not None and runner_up[1] * _ANSWERED_PRIOR > probability:
            return str(runner_up[0])
    return str(best)


# The languages with answer and refusal templates (assistant/answer/prompts.py), and how much
# likelier they are taken to be than other languages for the same evidence.
_ANSWERED = frozenset({"en", "fr", "de", "es"})
_ANSWERED_PRIOR = 3.0
