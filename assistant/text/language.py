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
    """ISO 639-1 code of `text`; `default` when the text is too short to tell."""
    sample = text[:5000]
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
    lang, _prob = _identifier().classify(sample)
    return str(lang)
