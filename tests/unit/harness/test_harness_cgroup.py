import pytest

from fleetbench_harness.cgroup import cpu_quota_cores


@pytest.fixture
def v2(tmp_path):
    root = tmp_path / "cgroup"
    (root / "workload.slice").mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpu memory\n")
    proc = tmp_path / "proc_cgroup"
    proc.write_text("0::/workload.slice\n")
    return root, proc


def test_v2_quota_of_the_process_cgroup_in_cores(v2):
    root, proc = v2
    (root / "workload.slice" / "cpu.max").write_text("150000 100000\n")
    assert cpu_quota_cores(root, proc) == 1.5


def test_v2_without_quota_is_none(v2):
    root, proc = v2
    (root / "workload.slice" / "cpu.max").write_text("max 100000\n")
    assert cpu_quota_cores(root, proc) is None


def test_v1_quota_from_cfs_files(tmp_path):
    folder = tmp_path / "cgroup" / "cpu" / "docker" / "abc"
    folder.mkdir(parents=True)
    (folder / "cpu.cfs_quota_us").write_text("400000\n")
    (folder / "cpu.cfs_period_us").write_text("100000\n")
    proc = tmp_path / "proc_cgroup"
    proc.write_text("4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n")
    assert cpu_quota_cores(tmp_path / "cgroup", proc) == 4.0


def test_v1_unlimited_quota_is_none(tmp_path):
    folder = tmp_path / "cgroup" / "cpu"
    folder.mkdir(parents=True)
    (folder / "cpu.cfs_quota_us").write_text("-1\n")
    (folder / "cpu.cfs_period_us").write_text("100000\n")
    proc = tmp_path / "proc_cgroup"
    proc.write_text("1:cpu:/\n")
    assert cpu_quota_cores(tmp_path / "cgroup", proc) is None


def test_no_cgroup_files_at_all_is_none(tmp_path):
    assert cpu_quota_cores(tmp_path / "nothing", tmp_path / "no_proc") is None
