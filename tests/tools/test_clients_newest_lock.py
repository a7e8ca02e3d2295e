"""tools.clients_newest: the newest-clients lock and its cached virtualenv, without PyPI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import clients_newest

PINS = {"awscli": "1.46.3", "boto3": "1.44.18", "botocore": "1.44.18", "pyyaml": "6.0.4"}


def test_the_shipped_lock_pins_every_root_exactly() -> None:
    pins = clients_newest.read_lock()
    assert set(clients_newest.ROOTS) <= set(pins)
    assert pins["boto3"] == pins["botocore"]  # boto3 releases pin their botocore exactly


def test_lock_text_reads_back_and_names_its_date(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text(clients_newest.lock_text(PINS, "2026-12-08"))
    assert clients_newest.read_lock(lock) == PINS
    text = lock.read_text()
    assert "resolved 2026-12-08 for Python" in text
    assert "# 3.11.0 and later" in text


def test_a_line_that_is_not_an_exact_pin_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("boto3>=1.44\n")
    with pytest.raises(clients_newest.ClientsError, match="not an exact pin"):
        clients_newest.read_lock(lock)


def test_update_says_what_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text(clients_newest.lock_text(PINS, "2026-12-01"))
    newer = {**PINS, "boto3": "1.44.19", "botocore": "1.44.19"}
    monkeypatch.setattr(clients_newest, "resolve", lambda: newer)
    assert clients_newest.update(lock, resolved="2026-12-08") == [
        "boto3: 1.44.18 -> 1.44.19",
        "botocore: 1.44.18 -> 1.44.19",
    ]
    assert clients_newest.read_lock(lock) == newer
    assert "resolved 2026-12-08" in lock.read_text()


def test_update_without_a_change_leaves_the_lock_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text(clients_newest.lock_text(PINS, "2026-12-01"))
    monkeypatch.setattr(clients_newest, "resolve", lambda: dict(PINS))
    assert clients_newest.update(lock, resolved="2026-12-08") == []
    assert "resolved 2026-12-01" in lock.read_text()


def test_a_resolution_without_a_root_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clients_newest, "resolve", lambda: {"boto3": "1.44.18"})
    with pytest.raises(clients_newest.ClientsError, match="lacks"):
        clients_newest.update(tmp_path / "lock.txt", resolved="2026-12-08")


def test_the_digest_follows_the_pins_not_the_comments(tmp_path: Path) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text(clients_newest.lock_text(PINS, "2026-12-01"))
    second.write_text(clients_newest.lock_text(PINS, "2026-12-08"))
    assert clients_newest.digest(first) == clients_newest.digest(second)
    second.write_text(clients_newest.lock_text({**PINS, "pyyaml": "6.0.3"}, "2026-12-08"))
    assert clients_newest.digest(first) != clients_newest.digest(second)


def test_a_virtualenv_built_from_the_same_lock_is_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock, venv = tmp_path / "lock.txt", tmp_path / "home" / "venv"
    lock.write_text(clients_newest.lock_text(PINS, "2026-12-08"))
    venv.mkdir(parents=True)
    (venv / clients_newest.STAMP.name).write_text(clients_newest.digest(lock) + "\n")

    def no_build(*_: object, **__: object) -> None:
        raise AssertionError("rebuilt a virtualenv whose stamp matches")

    monkeypatch.setattr(clients_newest.subprocess, "run", no_build)
    assert clients_newest.ensure_venv(lock, venv) == venv / "bin"


def test_a_failed_install_says_so_and_leaves_no_half_venv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock, venv = tmp_path / "lock.txt", tmp_path / "home" / "venv"
    lock.write_text("no-such-package-clients-newest==0.0.1\n")
    real_run = clients_newest.subprocess.run

    def offline(command: list[str], **kwargs: object) -> object:
        if "pip" in command:  # as with no package index reachable
            return real_run(["sh", "-c", "echo 'No matching distribution' >&2; exit 1"], **kwargs)
        return real_run(command, **kwargs)

    monkeypatch.setattr(clients_newest.subprocess, "run", offline)
    with pytest.raises(clients_newest.ClientsError, match="No matching distribution"):
        clients_newest.ensure_venv(lock, venv)
    assert not venv.exists()
