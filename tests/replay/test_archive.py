"""`wss season export` / `import`: one file, onto a fresh home, verified bit for bit;
a tampered archive is refused with one line."""

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.wss_cli import stop_server, wss, wss_env
from tests.replay.seasons import run_season
from wss.bootstrap import nats
from wss.settings import Settings

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Path]:
    """Another WSS_HOME with its own embedded nats-server (started by the first wss)."""
    home = tmp_path / "fresh"
    home.mkdir()
    yield home
    stop_server(home)


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def _write(path: Path, files: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


async def test_export_then_import_on_a_fresh_home_verifies_bit_for_bit(
    nats_url: str, tmp_path: Path, fresh: Path
) -> None:
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as conn:
        ran = await run_season(conn.nc, ticks=15)
    season, archive = ran.log.season, tmp_path / "season.tar.gz"
    done = wss(tmp_path, "season", "export", "--season", season, "--out", str(archive),
               env=wss_env(tmp_path, NATS_URL=nats_url))  # fmt: skip
    assert done.returncode == 0, done.stderr
    files = _members(archive)
    manifest = json.loads(files["manifest.json"])
    assert manifest["tick_hashes"] == ran.hashes
    assert manifest["counts"]["ticks"] == 16
    assert manifest["counts"]["events"] == files["events.jsonl"].count(b"\n")
    assert manifest["rules_version"] == 2
    assert manifest["tool_version"]
    gzip.decompress(archive.read_bytes())  # one gzip file

    imported = wss(fresh, "season", "import", str(archive), timeout=120)
    assert imported.returncode == 0, imported.stderr
    checked = wss(fresh, "verify", "--season", season, timeout=120)
    assert checked.returncode == 0, checked.stderr
    assert f"final state hash {ran.hashes[-1]}" in checked.stdout
    assert season in wss(fresh, "seasons").stdout
    again = wss(fresh, "season", "import", str(archive))
    assert again.returncode == 2
    assert "already exists" in again.stderr


async def test_a_tampered_archive_is_refused_and_leaves_nothing(
    nats_url: str, tmp_path: Path, fresh: Path
) -> None:
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as conn:
        ran = await run_season(conn.nc, ticks=6)
    archive = tmp_path / "season.tar.gz"
    done = wss(tmp_path, "season", "export", "--season", ran.log.season, "--out", str(archive),
               env=wss_env(tmp_path, NATS_URL=nats_url))  # fmt: skip
    assert done.returncode == 0, done.stderr
    files = _members(archive)
    events = files["events.jsonl"]
    trade = events.index(b'\\"price\\":')  # one digit of a price, changed
    at = trade + len(b'\\"price\\":')
    digit = b"1" if events[at : at + 1] != b"1" else b"2"
    edited = events[:at] + digit + events[at + 1 :]

    plain = tmp_path / "plain.tar.gz"
    _write(plain, {**files, "events.jsonl": edited})
    # The same change with every checksum recomputed: caught by the replay instead.
    manifest = json.loads(files["manifest.json"])
    manifest["files"]["events.jsonl"] = hashlib.sha256(edited).hexdigest()
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    manifest["checksum"] = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    forged = tmp_path / "forged.tar.gz"
    _write(
        forged, {**files, "events.jsonl": edited, "manifest.json": json.dumps(manifest).encode()}
    )
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])

    for path, says in (
        (plain, "events.jsonl does not match its checksum"),
        (forged, "does not replay"),
        (truncated, "damaged"),
    ):
        refused = wss(fresh, "season", "import", str(path), timeout=120)
        assert refused.returncode == 2, refused.stdout
        assert says in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    assert ran.log.season not in wss(fresh, "seasons").stdout
