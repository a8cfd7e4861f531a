"""A run's files packed on the host and unpacked on the controller only when every check passes."""
from __future__ import annotations

import hashlib
import io
import os
import tarfile

import pytest

from ansible_collections.fleetbench.llm.plugins.module_utils.harness.run_archive import build_archive, run_files
from ansible_collections.fleetbench.llm.plugins.plugin_utils.run_unpack import RunUnpackError, unpack_verified

WHERE = "node1: /var/lib/fleetbench/runs/r1/Offline/performance/1"


@pytest.fixture
def run_dir(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "mlperf_log_summary.txt").write_text("Result is : VALID\n")
    (run / "mlperf_log_detail.txt").write_bytes(os.urandom(300_000))
    (run / "fleetbench_status.json").write_text('{"phase": "done"}\n')
    (run / ".fleetbench_status.json.1.tmp").write_text("half")
    (run / "nested").mkdir()
    (run / "nested" / "x").write_text("x")
    (run / "link").symlink_to("/etc/passwd")
    return run


def packed(run_dir, tmp_path):
    return build_archive(str(run_dir), str(tmp_path / "run.tar.gz"))


def test_only_the_plain_visible_files_at_the_top_are_packed(run_dir):
    assert run_files(str(run_dir)) == ["fleetbench_status.json", "mlperf_log_detail.txt", "mlperf_log_summary.txt"]


def test_every_file_comes_back_byte_for_byte(run_dir, tmp_path):
    archive = packed(run_dir, tmp_path)
    dest = tmp_path / "results"
    names = unpack_verified(archive["archive"], archive["archive_sha256"], archive["members"], str(dest), WHERE)
    assert names == run_files(str(run_dir))
    for name in names:
        assert (dest / name).read_bytes() == (run_dir / name).read_bytes()
    assert sorted(os.listdir(dest)) == names


def test_files_already_in_the_results_folder_are_replaced_others_kept(run_dir, tmp_path):
    archive = packed(run_dir, tmp_path)
    dest = tmp_path / "results"
    dest.mkdir()
    (dest / "fleetbench_status.json").write_text('{"phase": "running"}')
    (dest / "harness.log.tail").write_text("partial")
    unpack_verified(archive["archive"], archive["archive_sha256"], archive["members"], str(dest), WHERE)
    assert (dest / "fleetbench_status.json").read_text() == '{"phase": "done"}\n'
    assert (dest / "harness.log.tail").read_text() == "partial"


def test_a_damaged_archive_is_refused_and_the_folder_left_as_it_was(run_dir, tmp_path):
    archive = packed(run_dir, tmp_path)
    with open(archive["archive"], "r+b") as handle:
        handle.seek(200)
        handle.write(b"\0" * 16)
    dest = tmp_path / "results"
    with pytest.raises(RunUnpackError, match=f"^{WHERE}: archive checksum .* differs from the host's"):
        unpack_verified(archive["archive"], archive["archive_sha256"], archive["members"], str(dest), WHERE)
    assert not dest.exists()


def handmade(tmp_path, members: list[tuple[tarfile.TarInfo, bytes]]) -> tuple[str, str]:
    path = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return str(path), hashlib.sha256(path.read_bytes()).hexdigest()


def entry(name: str, data: bytes) -> dict:
    return {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


@pytest.mark.parametrize("name, cause", [
    ("/etc/cron.d/evil", "an absolute path"),
    ("../evil", "a path outside the run folder"),
    ("sub/evil", "a name with a folder in it"),
])
def test_member_names_that_leave_the_folder_are_refused(tmp_path, name, cause):
    archive, sha = handmade(tmp_path, [(tarfile.TarInfo(name), b"x")])
    dest = tmp_path / "results"
    with pytest.raises(RunUnpackError, match=cause):
        unpack_verified(archive, sha, [entry(name, b"x")], str(dest), WHERE)
    with pytest.raises(RunUnpackError, match=f"member {name!r} is {cause}"):
        unpack_verified(archive, sha, [entry("evil", b"x")], str(dest), WHERE)
    assert not (tmp_path / "evil").exists()


def test_links_are_refused(tmp_path):
    link = tarfile.TarInfo("mlperf_log_detail.txt")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/shadow"
    archive, sha = handmade(tmp_path, [(link, b"")])
    with pytest.raises(RunUnpackError, match=f"^{WHERE}: member mlperf_log_detail.txt is a link$"):
        unpack_verified(archive, sha, [entry("mlperf_log_detail.txt", b"")], str(tmp_path / "results"), WHERE)


def test_a_member_the_host_did_not_list_is_refused(tmp_path):
    archive, sha = handmade(tmp_path, [(tarfile.TarInfo("a.txt"), b"a"), (tarfile.TarInfo("extra.txt"), b"e")])
    with pytest.raises(RunUnpackError, match="member extra.txt is not in the host's member list"):
        unpack_verified(archive, sha, [entry("a.txt", b"a")], str(tmp_path / "results"), WHERE)
    assert os.listdir(tmp_path / "results") == []


def test_a_listed_member_missing_from_the_archive_is_refused(tmp_path):
    archive, sha = handmade(tmp_path, [(tarfile.TarInfo("a.txt"), b"a")])
    with pytest.raises(RunUnpackError, match="members missing from the archive: b.txt"):
        unpack_verified(archive, sha, [entry("a.txt", b"a"), entry("b.txt", b"b")], str(tmp_path / "results"), WHERE)
    assert os.listdir(tmp_path / "results") == []


def test_a_member_whose_content_differs_from_the_list_is_refused(tmp_path):
    archive, sha = handmade(tmp_path, [(tarfile.TarInfo("a.txt"), b"tampered")])
    with pytest.raises(RunUnpackError, match="member a.txt does not match the host's size and checksum"):
        unpack_verified(archive, sha, [entry("a.txt", b"original")], str(tmp_path / "results"), WHERE)
    assert os.listdir(tmp_path / "results") == []


def test_not_an_archive_is_one_line(tmp_path):
    path = tmp_path / "run.tar.gz"
    path.write_bytes(b"this is not gzip")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(RunUnpackError, match=f"^{WHERE}: not a readable archive: [^\n]+$"):
        unpack_verified(str(path), sha, [entry("a.txt", b"a")], str(tmp_path / "results"), WHERE)


def test_a_missing_member_list_is_refused(tmp_path):
    archive, sha = handmade(tmp_path, [(tarfile.TarInfo("a.txt"), b"a")])
    with pytest.raises(RunUnpackError, match="the host sent no member list"):
        unpack_verified(archive, sha, None, str(tmp_path / "results"), WHERE)
