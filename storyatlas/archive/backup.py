"""Backups: a copy of the archive that holds together while the server and workers write
to it, and that follows withdrawals.

Copying ``archive.db`` with ``cp`` while the server writes can give a broken file (the
last changes sit in the write-ahead log, and the copy may take pages from before and
after a change). ``backup`` takes the database as one snapshot with SQLite's online
backup (a reader in WAL mode: nobody waits for it), then the media files that snapshot
names. A media file's path names its bytes once and for all (originals by their
SHA-256; redacted copies get a new name each time), so a file already in the backup is
not copied again, and a file the snapshot no longer names (a story erased, the unredacted
copy a redaction replaced) is removed from it: a withdrawal reaches the backup at its
next run. Copies of the backup folder kept elsewhere keep what they held (README:
*Backups*).
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from storyatlas.archive import Archive, Viewer, audit, revisions
from storyatlas.archive.db import read_only_uri
from storyatlas.archive.media_folder import sha256_file
from storyatlas.errors import AccessDenied, StoryAtlasError, said

MANIFEST = "storyatlas-backup.json"
FORMAT = 1
Progress = Callable[[int, int], None]
# a story erased or redacted while its files were copied: the snapshot is taken again
_ATTEMPTS = 3


@dataclass(frozen=True)
class BackupReport:
    folder: Path
    made_at: str
    """When the snapshot was taken (UTC): what was erased after it may be in it."""
    stories: int
    files: int
    """Media files the backup holds."""
    bytes: int
    """What those files hold."""
    files_copied: int
    files_removed: int
    """Files no longer in the archive (erased stories, replaced copies) removed from the backup."""
    missing: tuple[str, ...]
    """Files the archive names that its media store lacks (nothing to copy: damage to mend)."""
    damaged: tuple[str, ...]
    """Originals not copied, their bytes no longer those they were stored with (SHA-256)."""


@dataclass(frozen=True)
class RestoreReport:
    made_at: str
    stories: int
    files: int
    damaged: tuple[str, ...]
    """Media files missing from the backup or whose bytes are not those named (not restored)."""
    requeued: int
    """Stories being processed at the snapshot, queued to be processed again."""
    numbers_from: Path | None = None
    """The archive the backup was made of (or the one named as replaced), whose story,
    segment, index point (and revision) numbers the restored one does not give again; None
    where none was read."""


@dataclass(frozen=True)
class _Given:
    """What the archive a restore replaces gave: the highest story, segment and index point
    numbers, and its stories' newest revision numbers (its own only: None where it is not
    the archive the backup was made of, whose stories these numbers name)."""
    ids: dict[str, int]
    revisions: dict[int, int] | None = None


@dataclass(frozen=True)
class _Named:
    path: str
    sha256: str
    role: str
    size: int | None


def backup(archive: Archive, media_dir: Path, folder: Path, who: Viewer,
           progress: Progress | None = None) -> BackupReport:
    """Bring the backup in ``folder`` up to date with the archive: a new folder, or one an
    earlier backup of this archive was written to (anything else is refused, as its files
    would be removed). Only admins may (a backup holds every story); the audit log says
    who made it, where. Raises StoryAtlasError, AccessDenied."""
    if not who.is_admin:
        raise AccessDenied(said("only the archive's admins may back it up or restore it"))
    folder = folder.resolve()  # a link into the archive folder is inside it
    home = archive.path.parent.resolve()
    if folder == home or home in folder.parents:
        raise StoryAtlasError(said("{folder} is inside the archive folder {home}: a backup must be kept apart from "
                                   "what it saves (another disk, ideally)", folder=str(folder), home=str(home)))
    if folder in home.parents:  # as a restore into the backup folder leaves it: its files are not the backup's
        raise StoryAtlasError(said("the archive folder {home} is inside {folder}: a backup must be kept apart from "
                                   "what it saves (another disk, ideally)", folder=str(folder), home=str(home)))
    _check_folder(folder, archive.identity())
    try:
        done = _backup(archive, media_dir, folder, progress)
    except (OSError, sqlite3.Error) as e:
        raise StoryAtlasError(said("the backup to {folder} stopped ({detail}); what it held before is whole: check "
                                   "that the disk has room and can be written to, then run it again",
                                   folder=str(folder), detail=str(e))) from e
    try:
        with archive.transaction() as c:
            audit.record(c, who, "backup made", None, said(
                "to {folder}: the archive as it was at {made_at} (number of stories: {stories})",
                folder=str(folder), made_at=done.made_at, stories=done.stories))
    except sqlite3.OperationalError as e:  # a writer held the archive past the busy timeout
        raise StoryAtlasError(said("the backup to {folder} is made, but the audit log could not record it ({detail}): "
                                   "run it again when the archive is less busy", folder=str(folder),
                                   detail=str(e))) from e
    return done


def _backup(archive: Archive, media_dir: Path, folder: Path, progress: Progress | None) -> BackupReport:
    with _locked(folder):
        if _manifest(folder) is None:
            # claimed before anything is written: a first run that stops (a full disk) leaves
            # files that would otherwise make the next run refuse the folder as someone else's
            _write_json(folder / MANIFEST, {"format": FORMAT, "archive": archive.identity(), "made_at": None})
        for _ in range(_ATTEMPTS):
            snapshot = folder / "archive.db.partial"
            made_at = _now()  # what it holds: a story erased after this may be in it
            named, stories = _snapshot(archive, snapshot)
            copied, total, missing, damaged = _copy_files(named, media_dir, folder / "media", progress)
            gone = [n.path for n in missing if not archive.media_in_use(n.path)]
            if not gone:
                break  # else files went with a change made after the snapshot: take it again
        # the database first: a crash after it leaves files no row names, harmless, which
        # the next run removes; the other way round it would name files removed
        os.replace(snapshot, folder / "archive.db")
        _sync(folder)
        removed = _remove_unnamed(folder / "media", {n.path for n in named})
        _write_json(folder / MANIFEST, {
            "format": FORMAT, "archive": archive.identity(), "database": str(archive.path.resolve()),
            "made_at": made_at, "stories": stories,
            "media_files": len(named) - len(missing) - len(damaged), "media_bytes": total,
            "missing": [n.path for n in missing], "damaged": [n.path for n in damaged]})
    return BackupReport(folder, made_at, stories, len(named) - len(missing) - len(damaged), total, copied, removed,
                        tuple(n.path for n in missing), tuple(n.path for n in damaged))


def restore(folder: Path, database: Path, media_dir: Path, who: Viewer,
            progress: Progress | None = None, replacing: Path | None = None) -> RestoreReport:
    """Make a new archive at ``database`` and ``media_dir`` from the backup in ``folder``,
    refusing to write over an archive that is there. The backup's database is checked
    (SQLite's integrity check) and every media file against its size and, for originals,
    its SHA-256; a damaged file is left out and reported. The restored archive's audit log
    says who restored it, from when.

    Stories, segments and revisions made after the snapshot are not in it, but links and
    editors hold their numbers: it gives none that the archive it replaces gave. That archive is
    ``replacing`` (the database moved aside), else the one the backup was made of, where
    it was, when it is there still and readable. Raises StoryAtlasError, AccessDenied."""
    if not who.is_admin:
        raise AccessDenied(said("only the archive's admins may back it up or restore it"))
    folder = folder.absolute()
    if not folder.is_dir():
        raise _no_backup(folder)
    # a backup written into the folder meanwhile would replace the database after its
    # files were listed, and remove files it no longer names while they are copied
    with _locked(folder, shared=True):
        return _restore_checked(folder, database, media_dir, who, progress, replacing)


def _no_backup(folder: Path) -> StoryAtlasError:
    return StoryAtlasError(said("{folder} holds no Story Atlas backup (no storyatlas-backup.json and archive.db): "
                                "name the folder `storyatlas backup` wrote", folder=str(folder)))


def _restore_checked(folder: Path, database: Path, media_dir: Path, who: Viewer,
                     progress: Progress | None, replacing: Path | None) -> RestoreReport:
    manifest = _manifest(folder)
    if manifest is None or not (folder / "archive.db").is_file():
        raise _no_backup(folder)
    home, kept = database.parent.resolve(), folder.resolve()
    if home == kept or kept in home.parents:  # the next backup into it would remove what it does not name
        raise StoryAtlasError(said("{path} is inside the backup folder {folder}; nothing was changed: restore into "
                                   "a folder apart from the backup", path=str(database.parent), folder=str(folder)))
    _check_folders(database.parent, media_dir)
    for there in (database, database.with_name(database.name + "-wal")):
        if there.exists():
            raise StoryAtlasError(said("there is an archive at {path} already; nothing was changed: restore into a "
                                       "new folder (--archive), or move that one aside first", path=str(there)))
    if media_dir.exists() and any(p.is_file() for p in media_dir.rglob("*")):
        raise StoryAtlasError(said("the media folder {path} holds files already; nothing was changed: restore "
                                   "into a new folder (--archive), or move that one aside first", path=str(media_dir)))
    named = _check_database(folder / "archive.db")
    replaced, given = _replaced(manifest, replacing)
    if given is None:
        replaced = None
    try:
        done = _restore(folder, manifest, named, database, media_dir, who, progress, given)
    except BaseException as e:
        # nothing was there (see above): what was written goes, and it can be run again
        for made in (database.with_name(database.name + end) for end in ("", ".partial", "-wal", "-shm")):
            made.unlink(missing_ok=True)
        shutil.rmtree(media_dir, ignore_errors=True)
        if isinstance(e, (OSError, sqlite3.Error)):
            raise StoryAtlasError(said("the restore into {folder} stopped ({detail}); what it wrote is removed: "
                                       "check that the disk has room and can be written to, then run it again",
                                       folder=str(database.parent), detail=str(e))) from e
        raise
    return replace(done, numbers_from=replaced)


def _check_folders(*folders: Path) -> None:
    """StoryAtlasError where a folder to restore into, or one it would be made in, is a file."""
    for folder in folders:
        there = next((p for p in (folder, *folder.parents) if os.path.lexists(p)), None)
        if there is not None and not there.is_dir():
            raise StoryAtlasError(said("{path} is a file, not a folder; nothing was changed: restore into a new "
                                       "folder (--archive)", path=str(there)))


def _replaced(manifest: dict, replacing: Path | None) -> tuple[Path | None, _Given | None]:
    """The archive the restored one replaces, and the numbers it gave (None when it cannot
    be read, a damaged one or none there, or is another archive)."""
    identity = manifest.get("archive")
    if replacing is not None:
        try:
            return replacing, _numbers_given(replacing, identity, named=True)
        except sqlite3.Error as e:
            raise StoryAtlasError(said("the numbers the archive {path} gave cannot be read ({detail}); nothing was "
                                       "restored: name the archive the restored one replaces, or none",
                                       path=str(replacing), detail=str(e))) from e
    source = manifest.get("database")
    if not isinstance(source, str):  # a backup made before it was written down
        return None, None
    try:
        return Path(source), _numbers_given(Path(source), identity)
    except sqlite3.Error:  # moved aside, or gone bad (what a restore is for): nothing to read
        return Path(source), None


def _numbers_given(database: Path, identity: object, named: bool = False) -> _Given | None:
    """The numbers the archive at ``database`` gave; None where it is another archive than
    ``identity`` names (when it names one), unless the keeper ``named`` it: then its story,
    segment and index point numbers are kept all the same (not giving a number harms
    nothing), but its revisions, which would be said lost in the stories of that number,
    are not. Raises sqlite3.Error where it cannot be read, or is not there."""
    if not database.is_file():
        raise sqlite3.OperationalError(f"there is no file {database}")
    conn = _read_only(database)
    try:
        ours = identity is None or (_has_table(conn, "archive_identity") and
                                    conn.execute("SELECT id FROM archive_identity").fetchone()[0] == identity)
        if not ours and not named:
            return None
        marks = "SELECT name, last FROM ids_given" if _has_table(conn, "ids_given") else "SELECT 0, 0 WHERE 0"
        given = dict(conn.execute(marks).fetchall())
        stories, erased = conn.execute("SELECT (SELECT coalesce(max(id), 0) FROM stories), "
                                       "(SELECT coalesce(max(story_id), 0) FROM tombstones)").fetchone()
        present = {name: conn.execute(f"SELECT coalesce(max(id), 0) FROM {name}").fetchone()[0]
                   for name in ("segments", "index_points")}
        saved = dict(conn.execute("SELECT story_id, max(number) FROM revisions GROUP BY story_id").fetchall()
                     ) if ours else None
    finally:
        conn.close()
    return _Given({"stories": max(stories, erased, given.get("stories", 0)),
                   **{name: max(n, given.get(name, 0)) for name, n in present.items()}}, saved)


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(read_only_uri(path), uri=True)


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def _restore(folder: Path, manifest: dict, named: list[_Named], database: Path, media_dir: Path, who: Viewer,
             progress: Progress | None, given: _Given | None) -> RestoreReport:
    database.parent.mkdir(parents=True, exist_ok=True)
    partial = database.with_name(database.name + ".partial")
    shutil.copyfile(folder / "archive.db", partial)
    damaged = _restore_files(named, folder / "media", media_dir, progress)
    os.replace(partial, database)
    _sync(database.parent)
    made_at = str(manifest.get("made_at") or "an unknown date")
    with Archive(database) as restored, restored.transaction() as c:  # brought up to this schema, if older
        stories = c.execute("SELECT count(*) FROM stories").fetchone()[0]
        # a job running at the snapshot runs nowhere on this copy; its worker may still live
        # (on the archive backed up), so it would wait out the lease before it is taken up
        requeued = c.execute(
            """UPDATE jobs SET state = 'queued', worker = NULL, heartbeat_at = NULL, stage = NULL, progress = 0
               WHERE state = 'running'""").rowcount
        if given is not None:  # the replaced archive's newest stories and segments are not in the snapshot (0026)
            c.executemany("UPDATE ids_given SET last = max(last, ?) WHERE name = ?",
                          [(last, name) for name, last in given.ids.items()])
            revisions.hold_numbers(c, given.revisions or {}, who.label(), lambda last: said(
                "restored from the backup of {made_at}: the revisions saved after it, up to revision {last}, are "
                "not in it", made_at=made_at, last=last))
        audit.record(c, who, "archive restored", None, said(
            "from the backup of {made_at} in {folder}: stories erased since then are in it again",
            made_at=made_at, folder=str(folder)))
    return RestoreReport(made_at, stories, len(named) - len(damaged), damaged, requeued)


def _check_folder(folder: Path, identity: str) -> None:
    if not folder.exists():
        return
    if not folder.is_dir():
        raise StoryAtlasError(said("{folder} is a file, not a folder: name a folder for the backup",
                                   folder=str(folder)))
    manifest = _manifest(folder)
    if manifest is None:
        if any(folder.iterdir()):
            raise StoryAtlasError(said("{folder} holds other files: name an empty folder, or one a backup of this "
                                       "archive was written to (a backup removes the files it does not name)",
                                       folder=str(folder)))
    elif manifest.get("archive") != identity:
        raise StoryAtlasError(said("{folder} holds the backup of another archive (made {made_at}); name another "
                                   "folder for this one", folder=str(folder),
                                   made_at=str(manifest.get("made_at") or "an unknown date")))


def _manifest(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@contextlib.contextmanager
def _locked(folder: Path, shared: bool = False) -> Iterator[None]:
    """The backup folder to write (or, ``shared``, to restore from): one backup at a
    time, and none while an archive is restored from it."""
    if not shared and not folder.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        # its owner's only: it holds private stories and the accounts' password hashes,
        # often on a disk other people of the machine can reach
        folder.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            if shared:
                raise StoryAtlasError(said("a backup is being written to {folder}; restore from it once it has "
                                           "finished", folder=str(folder))) from None
            raise StoryAtlasError(said("another backup is being written to {folder}, or an archive restored from "
                                       "it; wait for it to finish", folder=str(folder))) from None
        yield
    finally:
        os.close(fd)


def _snapshot(archive: Archive, target: Path) -> tuple[list[_Named], int]:
    """The database as it is now, written to ``target`` as one file; what it names."""
    target.unlink(missing_ok=True)
    copy = sqlite3.connect(target, isolation_level=None)
    try:
        # one step: the whole copy is read in one read transaction, a consistent state
        archive.conn.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one file, without a log beside it
        # a damaged archive copied over the last good backup would leave none
        problems = _problems(copy)
        named = _named(copy)
        stories = copy.execute("SELECT count(*) FROM stories").fetchone()[0]
    finally:
        copy.close()
    if problems:
        target.unlink()
        raise StoryAtlasError(said(
            "the archive's database is damaged ({detail}); the backup in {folder} was left as it was: restore the "
            "archive from it (`storyatlas restore`)", detail=problems, folder=str(target.parent)))
    _sync(target)
    return named, stories


def _problems(conn: sqlite3.Connection) -> str:
    """What SQLite's integrity check finds wrong (the first three things), or nothing."""
    found = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    return "" if found == ["ok"] else "; ".join(found[:3])


def _named(conn: sqlite3.Connection) -> list[_Named]:
    rows = conn.execute("SELECT path, sha256, role, size_bytes FROM media ORDER BY path").fetchall()
    return list({r[0]: _Named(*r) for r in rows}.values())


def _copy_files(named: list[_Named], source: Path, target: Path,
                progress: Progress | None) -> tuple[int, int, list[_Named], list[_Named]]:
    """Copy what ``target`` lacks; (files copied, bytes the named files hold, missing,
    damaged). A file already there is not read again: a copy made while the original was
    sound stays, when the original goes bad later."""
    copied, total, missing, damaged = 0, 0, [], []
    for done, n in enumerate(named):
        there, here = source / n.path, target / n.path
        try:
            size = there.stat().st_size
        except FileNotFoundError:
            missing.append(n)
            continue
        total += size
        if not (here.is_file() and here.stat().st_size == size):
            if not _sound(there, n):
                damaged.append(n)
                continue
            _copy(there, here)
            copied += 1
        if progress:
            progress(done + 1, len(named))
    return copied, total, missing, damaged


def _copy(source: Path, target: Path) -> None:
    """``target`` is the whole of ``source`` or, after a crash, what it was before; an
    original stays read-only."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(source, partial)
    shutil.copymode(source, partial)
    _sync(partial)
    os.replace(partial, target)


def _remove_unnamed(media: Path, named: set[str]) -> int:
    removed = 0
    if not media.is_dir():
        return 0
    for path in sorted(media.rglob("*"), reverse=True):  # files before their folders
        if path.is_dir():
            with contextlib.suppress(OSError):
                path.rmdir()  # only when empty
        elif path.relative_to(media).as_posix() not in named:
            path.unlink()
            removed += 1
    return removed


def _check_database(path: Path) -> list[_Named]:
    try:
        conn = _read_only(path)
        try:
            problems = _problems(conn)
            if problems:
                raise StoryAtlasError(said("the backup's database {path} is damaged ({detail}); nothing was "
                                           "restored: use an older backup", path=str(path), detail=problems))
            return _named(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise StoryAtlasError(said("the backup's database {path} cannot be read ({detail}); nothing was restored: "
                                   "use an older backup", path=str(path), detail=str(e))) from e


def _restore_files(named: list[_Named], source: Path, target: Path, progress: Progress | None) -> tuple[str, ...]:
    damaged = []
    for done, n in enumerate(named):
        there = source / n.path
        if not there.is_file() or not _sound(there, n):
            damaged.append(n.path)
        else:
            _copy(there, target / n.path)
        if progress:
            progress(done + 1, len(named))
    return tuple(damaged)


def _sound(path: Path, n: _Named) -> bool:
    if n.size is not None and path.stat().st_size != n.size:
        return False
    # derived copies are named by their original's bytes, not their own
    return n.role != "original" or sha256_file(path) == n.sha256


def _write_json(path: Path, data: dict) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _sync(path: Path) -> None:
    """On disk, a file or a folder's list of names (read-only: so is an original)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
