"""Files that readers see whole: the old content or the new, never a mix or a missing file.

The new content goes to a temporary file in the destination's folder (so that the rename
stays on one file system), is flushed to disk and given its mode, and only then takes the
destination's name with one `os.replace`. Whatever fails on the way removes the temporary
file and leaves the destination as it was.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_beside(path: Path, content: str | bytes, *, mode: int, suffix: str = "") -> Path:
    """A new file next to `path` holding `content` (str as UTF-8), with `mode`, on disk.

    The caller puts it in place with `os.replace(returned, path)` or removes it: the way to
    check a file (`haproxy -c`) before it replaces the live one.
    """
    data = content.encode() if isinstance(content, str) else content
    # mkstemp creates the file with mode 0600, so a secret is never readable by others.
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def write_atomically(path: Path, content: str | bytes, *, mode: int = 0o644) -> None:
    """Replace `path` with `content` (str as UTF-8) and `mode`, all at once or not at all."""
    temporary = write_beside(path, content, mode=mode)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
