"""Season archives: one ``.tar.gz`` holding both streams and a manifest; how a researcher
shares a season.

``commands.jsonl`` and ``events.jsonl`` hold every message of the two streams in sequence
order: its sequence, subject type, headers (the ones the engine and the gateway set, not
the server's) and its bytes (as text when they are UTF-8, else base64). ``manifest.json``
holds the season's registry entry, the counts, the rules version, each tick's state hash,
the tool version, the SHA-256 of each stream file, and a checksum over all of it.

An import checks all of that first and refuses a tampered or damaged archive with one
line; then it writes the season under its own id (refusing a home that already has it)
and replays it with ``verify``: only a season that replays byte for byte stays.
"""

import asyncio
import base64
import contextlib
import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from nats.aio.client import Client
from nats.js.errors import NotFoundError

from replayer.fold import Progress
from replayer.verify import Verdict, verify
from wss import kv
from wss.errors import WssError
from wss.eventstore.jetstream import StoredMsg
from wss.seasonlog import CUT_HEADER, SeasonInfo, SeasonLog
from wss.streams import MSG_ID, SEASONS_BUCKET, TICK_HEADER

FORMAT = 1
MANIFEST, COMMANDS, EVENTS = "manifest.json", "commands.jsonl", "events.jsonl"
KEPT_HEADERS = (MSG_ID, TICK_HEADER, CUT_HEADER)  # the server sets the rest on append


class ArchiveRefused(WssError):
    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"archive {path} refused: {why}")


@dataclass(frozen=True, slots=True)
class Exported:
    path: Path
    season: str
    commands: int
    events: int
    ticks: int
    final_hash: str
    bytes: int


def _line(msg: StoredMsg) -> bytes:
    row: dict[str, Any] = {
        "seq": msg.seq,
        "type": msg.subject.rsplit(".", 1)[-1],
        "headers": {k: msg.headers[k] for k in KEPT_HEADERS if k in msg.headers},
    }
    try:
        row["data"] = msg.data.decode()
    except UnicodeDecodeError:
        row["data_b64"] = base64.b64encode(msg.data).decode()
    return json.dumps(row, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def _message(row: dict[str, Any]) -> tuple[int, str, dict[str, str], bytes]:
    data = row["data"].encode() if "data" in row else base64.b64decode(row["data_b64"])
    return int(row["seq"]), str(row["type"]), dict(row["headers"]), data


async def _stream_file(log: SeasonLog, stream: str) -> tuple[bytes, int, list[str]]:
    """The stream as JSON lines, its message count, and (events) each tick's hash."""
    out = io.BytesIO()
    count, hashes = 0, []
    async for page in log.read(stream, 1, await log.last_seq(stream)):
        for msg in page:
            out.write(_line(msg))
            count += 1
            if msg.subject.endswith(".TickClosed"):
                hashes.append(json.loads(msg.data)["state_hash"])
    return out.getvalue(), count, hashes


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _checksum(manifest: dict[str, Any]) -> str:
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    return _digest(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())


async def export_season(log: SeasonLog, out: Path) -> Exported:
    info = await log.require()
    commands, n_commands, _ = await _stream_file(log, log.streams.command_stream)
    events, n_events, hashes = await _stream_file(log, log.streams.event_stream)
    first = json.loads(events.split(b"\n", 1)[0])["data"] if events else "{}"
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "tool": "wallstreetsim",
        "tool_version": metadata.version("wallstreetsim"),
        "season": info.season,
        "registry": json.loads(info.to_json()),
        "rules_version": json.loads(first).get("rules_version", 1),
        "counts": {"commands": n_commands, "events": n_events, "ticks": len(hashes)},
        "tick_hashes": hashes,
        "files": {COMMANDS: _digest(commands), EVENTS: _digest(events)},
    }
    manifest["checksum"] = _checksum(manifest)
    files = {MANIFEST: json.dumps(manifest, indent=1).encode(), COMMANDS: commands, EVENTS: events}
    size = await asyncio.to_thread(_write_tar, out, files)
    return Exported(
        out, info.season, n_commands, n_events, len(hashes), hashes[-1] if hashes else "", size
    )  # fmt: skip


def _write_tar(out: Path, files: dict[str, bytes]) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        for name, data in files.items():
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return out.stat().st_size


@dataclass(frozen=True, slots=True)
class Archive:
    manifest: dict[str, Any]
    commands: list[tuple[int, str, dict[str, str], bytes]]
    events: list[tuple[int, str, dict[str, str], bytes]]

    @property
    def season(self) -> str:
        return str(self.manifest["season"])


def read_archive(path: Path) -> Archive:
    """The archive's contents, every check passed, or ``ArchiveRefused`` saying which."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            files = {}
            for name in (MANIFEST, COMMANDS, EVENTS):
                member = tar.extractfile(name)
                if member is None:
                    raise ArchiveRefused(path, f"{name} is not a file")
                files[name] = member.read()
    except FileNotFoundError:
        raise ArchiveRefused(path, "no such file") from None
    except KeyError as error:
        raise ArchiveRefused(path, f"not a season archive ({error.args[0]})") from None
    except (tarfile.TarError, gzip.BadGzipFile, EOFError, OSError, ValueError) as error:
        raise ArchiveRefused(path, f"damaged ({type(error).__name__}: {error})") from None
    try:
        manifest = json.loads(files[MANIFEST])
    except ValueError:
        raise ArchiveRefused(path, "its manifest is not JSON") from None
    if manifest.get("format") != FORMAT:
        raise ArchiveRefused(path, f"format {manifest.get('format')!r} is not {FORMAT}")
    if manifest.get("checksum") != _checksum(manifest):
        raise ArchiveRefused(path, "the manifest's checksum does not match (edited?)")
    for name in (COMMANDS, EVENTS):
        if _digest(files[name]) != manifest["files"][name]:
            raise ArchiveRefused(path, f"{name} does not match its checksum (tampered?)")
    commands = [_message(json.loads(line)) for line in files[COMMANDS].splitlines()]
    events = [_message(json.loads(line)) for line in files[EVENTS].splitlines()]
    counts = manifest["counts"]
    if (len(commands), len(events)) != (counts["commands"], counts["events"]):
        raise ArchiveRefused(path, "message counts differ from the manifest")
    for name, rows in ((COMMANDS, commands), (EVENTS, events)):
        if [row[0] for row in rows] != list(range(1, len(rows) + 1)):
            raise ArchiveRefused(path, f"{name} has gaps in its sequences")
    hashes = [json.loads(data)["state_hash"] for _, kind, _, data in events if kind == "TickClosed"]
    if hashes != manifest["tick_hashes"]:
        raise ArchiveRefused(path, "tick hashes differ from the manifest")
    return Archive(manifest, commands, events)


async def import_season(nc: Client, path: Path, progress: Progress | None = None) -> Verdict:
    """Write the archived season onto this home's log, then verify it (or take it back)."""
    archive = await asyncio.to_thread(read_archive, path)
    log = SeasonLog(nc, archive.season)
    if await log.exists():
        raise WssError(f"season {archive.season} already exists on this home")
    info = SeasonInfo(**archive.manifest["registry"])
    await log.create(SeasonInfo(info.season, info.seed, "created", info.created))
    try:
        await _write(log, archive, progress)
        verdict = await verify(log)
        if not verdict.ok:
            raise ArchiveRefused(path, f"the season does not replay ({verdict.divergence})")
    except BaseException:
        await _remove(log)
        raise
    await log.save_info(info)
    if info.status == "ended":
        await log.seal()
    return verdict


async def _write(log: SeasonLog, archive: Archive, progress: Progress | None) -> None:
    for seq, kind, headers, data in archive.commands:
        ack = await log.js.publish(log.streams.command_subject(kind), data, headers=headers or None)
        if ack.seq != seq or ack.duplicate:
            raise WssError(f"command {seq} landed at {ack.seq} (duplicate: {ack.duplicate})")
    tick: list[tuple[str, bytes]] = []
    marks: tuple[int, int] = (0, 0)
    last = 0
    for _, kind, headers, data in archive.events:
        if not tick:
            marks = (int(headers.get(TICK_HEADER, 0)), int(headers.get(CUT_HEADER, 0)))
        tick.append((kind, data))
        if kind == "TickClosed":
            closed = json.loads(data)
            marks = (int(closed["tick"]), int(closed["last_command_seq"]))
            last = await log.publish_tick(*marks, tick, after_seq=last, first=0)
            tick = []
            if progress is not None:
                progress(last, len(archive.events))
    if tick:  # a half-published tail, as the original's log held it
        await log.publish_tick(*marks, tick, after_seq=last, first=0)


async def _remove(log: SeasonLog) -> None:
    """Take back a season whose import failed: its streams and its registry entry."""
    await (await kv.bucket(log.js, SEASONS_BUCKET)).delete(log.season)
    for stream in (log.streams.command_stream, log.streams.event_stream):
        with contextlib.suppress(NotFoundError):
            await log.js.delete_stream(stream)
