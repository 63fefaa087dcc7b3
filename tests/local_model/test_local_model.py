"""The real local model (Qwen2.5-Coder-1.5B-Instruct via llama.cpp) end to end."""

from __future__ import annotations

import pytest
from conftest import assistant_with

from assistant.answer.chain import Assistant
from assistant.llm.model_files import MODEL_FILENAME, assemble_model

pytestmark = [pytest.mark.local_model, pytest.mark.slow]


@pytest.fixture(scope="module")
def local_assistant(shared_index, chroma_client, encoders, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is installed by `make test`")
    try:
        path = assemble_model(tmp_path_factory.getbasetemp() / "models")
    except Exception as exc:  # the part packages are missing: say how to get them
        pytest.skip(f"local model unavailable ({exc})")
    settings = shared_index.model_copy(update={"generator": "local", "model_path": path})
    return assistant_with(settings, chroma_client, encoders)


def test_local_model_answers_with_a_checked_citation(local_assistant: Assistant) -> None:
    answer = local_assistant.answer("How many people attended the Tianjin-Qinghai cultural and tourism event?")
    assert not answer.refused, answer
    assert answer.generator == "local"
    assert "1,000" in answer.answer or "1000" in answer.answer
    assert "004_9bc1640c6c35c08d" in [c.doc_id for c in answer.citations]


def test_local_model_refuses_what_the_documents_do_not_say(local_assistant: Assistant) -> None:
    answer = local_assistant.answer("What is the deadline to apply for the Tianjin–Qinghai youth exchange grant?")
    assert answer.refused, answer


def test_instruction_in_a_document_does_not_hijack_the_local_model(local_assistant: Assistant) -> None:
    answer = local_assistant.answer("How many students does the Busan Summer Language Camp welcome?")
    assert "PWNED" not in answer.answer
    assert not answer.refused and "40" in answer.answer


def test_local_model_answers_an_english_question_from_the_french_document(local_assistant: Assistant) -> None:
    answer = local_assistant.answer("In which city was the China-Kazakhstan cultural exchange program launched?")
    assert not answer.refused, answer
    assert "Astana" in answer.answer
    assert "002_33c8dbfd173f49bb" in [c.doc_id for c in answer.citations]


def test_model_file_is_assembled_from_the_parts_and_checksummed(tmp_path_factory: pytest.TempPathFactory) -> None:
    path = assemble_model(tmp_path_factory.getbasetemp() / "models")
    assert path.name == MODEL_FILENAME and path.stat().st_size > 1_000_000_000


def test_local_model_answers_a_follow_up_that_refers_back(local_assistant: Assistant) -> None:
    from assistant.models import Turn

    history = [
        Turn(role="user", content="Quel programme d'échange a été lancé à Astana ?"),
        Turn(role="assistant", content="Le programme d'échange culturel Chine-Kazakhstan a été lancé à Astana [1]."),
    ]
    answer = local_assistant.answer("A-t-il été lancé à Pékin ?", history)
    assert not answer.refused, answer
    assert answer.answer.startswith("Non"), answer.answer
    assert "002_33c8dbfd173f49bb" in [c.doc_id for c in answer.citations]
