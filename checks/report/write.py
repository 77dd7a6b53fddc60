"""Writing a report folder: check it before any claim runs, stage, install; never delete a user's file.

:func:`write_reports` is the entry point: :func:`check_destination`, then
:func:`~ebmcheck.checks.report.render.render` into a staging folder, then :func:`install`.
Rules (``ebmcheck report --out OUT``):

- ``OUT`` is checked *before* the two-minute run: it must be a folder or not exist yet, and it
  must be creatable and writable. A non-empty folder that is not an ebmcheck report folder is
  refused unless ``force`` is given.
- A folder is an *ebmcheck report folder* when it holds the manifest :data:`MANIFEST` (written by
  every run: the list of files ebmcheck wrote there) or, for folders written before the manifest
  existed, a ``results.json`` with a ``provenance`` block.
- Writing never deletes or overwrites a file ebmcheck did not write. New files are staged in a
  hidden folder inside ``OUT`` (same file system) and moved into place one by one with
  ``os.replace`` (atomic per file), only after every file has been written; a file whose bytes
  are unchanged is left alone (so a re-run that changes nothing changes no file, not even its
  time stamp). Files that the previous run wrote (by its manifest) and this run does not are
  deleted; every other file in ``OUT`` is kept, and ``OUT`` itself keeps its mode and owner.
- An error while writing leaves ``OUT`` exactly as it was. A run killed while moving files
  leaves a mixture of old and new pages and no new manifest; the next run rewrites all of them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ebmcheck.checks.anatomy import ClaimResult
from ebmcheck.checks.config import RunConfig
from ebmcheck.checks.report.render import ReportSummary, render

MANIFEST = ".ebmcheck-manifest.json"
_STAGING_PREFIX = ".ebmcheck-staging-"
# The layout of a report folder written before the manifest existed (see ebmcheck.checks.report).
_LEGACY_PATTERNS = ("index.md", "index.html", "errata.md", "errata.html", "results.json",
                    "claims/*.md", "claims/*.html", "figures/*.png")


def write_reports(results: list[ClaimResult], out: Path | str, config: RunConfig, *, force: bool = False) -> ReportSummary:
    """Write every report into ``out`` without deleting or overwriting anything ebmcheck did not write.

    ``out`` is checked first (:func:`check_destination`: a non-empty folder that is not a report
    folder needs ``force``). Everything is written into a staging folder inside ``out``; only when
    all of it has been written are the files moved into place (:func:`install`). An error while
    writing leaves ``out`` as it was.
    """
    destination = check_destination(out, force)
    staging = new_staging(destination.path)
    try:
        summary = render(results, staging, config)
        install(staging, destination.path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if destination.created:
            shutil.rmtree(destination.path, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return dataclasses.replace(summary, out=Path(out))


class DestinationError(ValueError):
    """The report folder cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Destination:
    """A checked report folder. ``created`` when ebmcheck made it (removed again on failure)."""

    path: Path
    created: bool


def is_report_folder(path: Path) -> bool:
    """Whether ``path`` holds reports that ebmcheck wrote (manifest, or a legacy results.json)."""
    if (path / MANIFEST).is_file():
        return True
    try:
        document = json.loads((path / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and "provenance" in document and "claims" in document


def _visible_entries(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if not p.name.startswith(_STAGING_PREFIX))


def check_destination(out: Path | str, force: bool = False) -> Destination:
    """Check ``out`` before any work; create it if missing. ``DestinationError`` says what is wrong.

    Refuses: a path whose parent cannot be created, a file in place of a folder, a folder that
    cannot be written, and (unless ``force``) a non-empty folder that is not a report folder.
    """
    path = Path(out).expanduser()
    if str(out).strip() == "":
        raise DestinationError("--out is empty: give a folder, e.g. --out reports")
    path = path.resolve()
    if path.exists() and not path.is_dir():
        raise DestinationError(f"--out {out}: {path} exists and is not a folder")
    created = False
    if not path.exists():
        try:
            path.mkdir(parents=True)
        except OSError as error:
            raise DestinationError(f"--out {out}: cannot create the folder {path} ({error.strerror or error})") from None
        created = True
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        if created:
            path.rmdir()
        raise DestinationError(f"--out {out}: cannot write into {path} ({error.strerror or error})") from None
    if not created and not force and _visible_entries(path) and not is_report_folder(path):
        shown = ", ".join(_visible_entries(path)[:5])
        raise DestinationError(
            f"--out {out}: {path} is not empty ({shown}{', ...' if len(_visible_entries(path)) > 5 else ''}) and is not an "
            f"ebmcheck report folder (no {MANIFEST} or results.json). Choose an empty or new folder, or pass --force to "
            "add the reports beside its files (no file of yours is deleted or overwritten, except ones with the "
            "reports' names: index.*, errata.*, results.json, claims/*, figures/*)"
        )
    return Destination(path, created)


def previously_written(path: Path) -> set[str]:
    """Relative paths ebmcheck wrote into ``path`` last time (manifest, or the legacy layout)."""
    manifest = path / MANIFEST
    if manifest.is_file():
        try:
            files = json.loads(manifest.read_text(encoding="utf-8")).get("files", [])
            return {f for f in files if isinstance(f, str) and not Path(f).is_absolute() and ".." not in Path(f).parts}
        except (OSError, ValueError, AttributeError):
            return set()
    if is_report_folder(path):
        return {str(p.relative_to(path)) for pattern in _LEGACY_PATTERNS for p in path.glob(pattern) if p.is_file()}
    return set()


def new_staging(path: Path) -> Path:
    """A fresh hidden staging folder inside ``path`` (same file system, so moves are renames)."""
    _remove_stale_staging(path)
    return Path(tempfile.mkdtemp(prefix=f"{_STAGING_PREFIX}{os.getpid()}-", dir=path))


def _remove_stale_staging(path: Path) -> None:
    """Delete staging folders of report runs that were killed (their process is gone)."""
    for folder in path.glob(f"{_STAGING_PREFIX}*"):
        try:
            pid = int(folder.name[len(_STAGING_PREFIX):].split("-", 1)[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, IndexError, OSError):
            continue


def install(staging: Path, path: Path) -> list[str]:
    """Move every file of ``staging`` into ``path``; delete what the previous run wrote and this
    one did not; write the manifest last. Returns the relative paths written (changed or not)."""
    old = previously_written(path)
    files = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
    for name in files:
        source, target = staging / name, path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_file() and _same_bytes(source, target):
            continue
        os.replace(source, target)
    for name in sorted(old - set(files) - {MANIFEST}):
        (path / name).unlink(missing_ok=True)
        _remove_if_empty((path / name).parent, path)
    manifest = {"written_by": "ebmcheck report", "files": files}
    text = json.dumps(manifest, indent=1) + "\n"
    target = path / MANIFEST
    if not (target.is_file() and target.read_text(encoding="utf-8") == text):
        staged = staging / MANIFEST
        staged.write_text(text, encoding="utf-8")
        os.replace(staged, target)
    return files


def _same_bytes(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()


def _remove_if_empty(folder: Path, root: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
