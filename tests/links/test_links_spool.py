"""Scans are spooled to a file and moved into the database in batches: nothing lost, nothing counted twice."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time

import sqlalchemy as sa
from linkhelpers import IPHONE_SAFARI, hits

from shopbridge.db import engine
from shopbridge.links import service, spool
from shopbridge.links.models import Hit


def _rows_in_database(app) -> int:
    # Straight from the table, without flushing the spool first (unlike linkhelpers.hits).
    with engine(app).connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(Hit)).scalar_one()


def _hit(link, kind="scan"):
    return service.hit_values(link_id=link.id, kind=kind, user_agent=IPHONE_SAFARI, referrer=None,
                              ip="203.0.113.7", secret_key="test")


def _spool_files(app) -> list[str]:
    directory = spool.spool_for(app).directory
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(spool.SUFFIX)) if directory.exists() else []


def test_a_scan_reaches_the_database_by_itself_within_a_second_or_two(app, client, make_link):
    link = make_link(channel="poster")
    assert client.get(f"/q/{link.code}", headers={"User-Agent": IPHONE_SAFARI}).status_code == 302
    deadline = time.monotonic() + 10
    while _rows_in_database(app) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _rows_in_database(app) == 1  # the background thread moved it; nobody asked
    assert _spool_files(app) == []


def test_the_analytics_page_shows_a_scan_made_a_moment_ago(app, client, auth, make_link):
    link = make_link(channel="poster", placement="Cadorna station")
    client.get(f"/q/{link.code}", headers={"User-Agent": IPHONE_SAFARI})
    auth.login("owner")
    page = client.get("/admin/analytics/export.csv?table=channel").get_data(as_text=True)
    assert "poster,0,1,1,0,0" in page.splitlines()  # channel, clicks, scans, visitors, bots, ended


def test_hits_of_a_killed_process_are_ingested_by_the_next_one(app, make_link, tmp_path):
    link = make_link(channel="poster")
    directory = spool.spool_for(app).directory
    # Another process spools 50 scans and is killed outright: no atexit, no flush, its lock released by the kernel.
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from shopbridge.links import service, spool
        writer = spool.HitSpool(None, Path({str(directory)!r}), interval=3600)
        for _ in range(50):
            writer.append(service.hit_values(link_id={link.id}, kind="scan", user_agent="x", referrer=None,
                                             ip="198.51.100.1", secret_key="k"))
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert killed.returncode == -9, killed.stderr.decode()
    assert len(_spool_files(app)) == 1 and _rows_in_database(app) == 0
    assert spool.flush(app) == 50
    assert _rows_in_database(app) == 50 and _spool_files(app) == []


def test_a_live_writers_file_is_never_taken_from_it(app, make_link):
    link = make_link(channel="poster")
    writer = spool.HitSpool(app, spool.spool_for(app).directory, interval=3600)  # another process, in effect
    writer.append(_hit(link))
    assert spool.flush(app) == 0 and _rows_in_database(app) == 0  # locked: still being written
    writer.append(_hit(link))
    assert writer.flush() == 2 and _rows_in_database(app) == 2


def test_a_file_ingested_twice_counts_once(app, make_link, tmp_path):
    link = make_link(channel="poster")
    own = spool.spool_for(app)
    own.append(_hit(link))
    own.append(_hit(link, kind="click"))
    own._rotate()
    [name] = _spool_files(app)
    shutil.copy(own.directory / name, tmp_path / name)
    assert spool.flush(app) == 2
    # The process died after its commit but before deleting the file: the file is back on the next start.
    shutil.copy(tmp_path / name, own.directory / name)
    assert spool.flush(app) == 0
    assert _rows_in_database(app) == 2 and _spool_files(app) == []


def test_a_line_cut_short_by_a_crash_is_skipped_and_the_rest_kept(app, make_link, caplog):
    link = make_link(channel="poster")
    own = spool.spool_for(app)
    own.append(_hit(link))
    own.append(_hit(link))
    os.write(own._fd, b'{"at":"2026-11-23T10:')  # the write a power cut interrupted
    assert spool.flush(app) == 2
    assert "unreadable spooled hit" in caplog.text
    assert [h["kind"] for h in hits(app)] == ["scan", "scan"]


def test_with_the_spool_off_every_hit_is_written_at_once(app, client, make_link):
    app.config["LINK_HIT_SPOOL"] = False
    link = make_link(channel="poster")
    client.get(f"/b/{link.code}", headers={"User-Agent": IPHONE_SAFARI})
    assert _rows_in_database(app) == 1 and _spool_files(app) == []
