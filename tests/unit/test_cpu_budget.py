"""One CPU budget: never more threads than the cores the process may use."""

from __future__ import annotations

import os

import pytest

from assistant import cpu


def test_budget_defaults_to_the_available_cores_and_caps_a_larger_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cpu, "available_cores", lambda: 2)
    assert cpu.cpu_budget(None) == 2
    assert cpu.cpu_budget(1) == 1
    assert cpu.cpu_budget(8) == 2


def test_cgroup_quota_caps_the_cores(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    quota = tmp_path / "cpu.max"
    quota.write_text("150000 100000\n")
    monkeypatch.setattr(cpu, "_CGROUP_V2", quota)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1, 2, 3})
    assert cpu.available_cores() == 1


def test_thread_variables_are_set_unless_the_operator_set_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    cpu.apply_cpu_budget(2)
    assert os.environ["OMP_NUM_THREADS"] == "2"
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
