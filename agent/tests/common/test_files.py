"""Atomic file writes: readers see the old file or the new one, never a mix or a leftover."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from dfaas_common.files import write_atomically, write_beside


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mode", [0o600, 0o644, 0o640])
def test_new_file_has_the_content_and_the_mode_asked_for(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "file"

    write_atomically(path, "hello\n", mode=mode)

    assert path.read_text() == "hello\n"
    assert _mode(path) == mode


def test_existing_file_is_replaced_with_the_new_content_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("old\n")
    path.chmod(0o600)

    write_atomically(path, b"new\n", mode=0o644)

    assert path.read_bytes() == b"new\n"
    assert _mode(path) == 0o644
    assert [entry.name for entry in tmp_path.iterdir()] == ["file"]


def test_text_is_written_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "file"

    write_atomically(path, "fïglet\n")

    assert path.read_bytes() == "fïglet\n".encode()


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "file"
    path.write_text("old\n")

    def disk_full(descriptor: int) -> None:  # a fake: a full disk cannot be had on demand
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(path, "new\n")

    assert path.read_text() == "old\n"
    assert [entry.name for entry in tmp_path.iterdir()] == ["file"]


def test_a_failed_replace_leaves_the_destination_and_no_temporary_file(tmp_path: Path) -> None:
    destination = tmp_path / "folder"
    destination.mkdir()
    (destination / "inside").write_text("kept\n")

    with pytest.raises(IsADirectoryError):
        write_atomically(destination, "new\n")

    assert (destination / "inside").read_text() == "kept\n"
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["folder"]


def test_a_missing_folder_is_an_error_and_nothing_is_created(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "absent" / "file", "new\n")

    assert list(tmp_path.iterdir()) == []


def test_write_beside_leaves_the_destination_alone_until_the_caller_replaces_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "haproxy.cfg"
    path.write_text("live\n")

    candidate = write_beside(path, "candidate\n", mode=0o644, suffix=".candidate")

    assert candidate.parent == tmp_path
    assert candidate.name.startswith(".haproxy.cfg.")
    assert candidate.name.endswith(".candidate")
    assert (candidate.read_text(), _mode(candidate)) == ("candidate\n", 0o644)
    assert path.read_text() == "live\n"
    os.replace(candidate, path)
    assert path.read_text() == "candidate\n"
