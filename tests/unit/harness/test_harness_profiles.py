import pathlib

import pytest

from fleetbench_harness.errors import BadInput
from fleetbench_harness.loadgen_settings import parse_key_values, read_user_conf, user_conf_text
from fleetbench_harness.profiles import QUICK_MAX_SAMPLES, is_compliant, profile_overrides
from fleetbench_harness.scenarios import SCENARIOS


def test_official_profile_changes_nothing():
    assert profile_overrides("official", SCENARIOS["Server"], 13368) == {}


@pytest.mark.parametrize("scenario", ["Offline", "Server", "Interactive", "SingleStream"])
def test_quick_profile_shortens_the_run(scenario):
    assert int(profile_overrides("quick", SCENARIOS[scenario], 13368)["min_duration"]) <= 2000


def test_quick_offline_caps_its_sample_set_and_streaming_scenarios_leave_it_to_the_sample_plan():
    assert profile_overrides("quick", SCENARIOS["Offline"], 13368)["performance_sample_count_override"] == str(QUICK_MAX_SAMPLES)
    assert profile_overrides("quick", SCENARIOS["Offline"], 10)["performance_sample_count_override"] == "10"
    for scenario in ("Server", "Interactive", "SingleStream"):
        assert "performance_sample_count_override" not in profile_overrides("quick", SCENARIOS[scenario], 13368)


def test_quick_profile_is_never_compliant():
    assert not is_compliant("quick", {}, [])


def test_official_profile_stays_compliant_with_a_target_qps_only():
    assert is_compliant("official", {"target_qps": "12"}, ["llama3_1-8b.Server.target_qps = 11"])
    assert not is_compliant("official", {"min_duration": "1000"}, [])
    assert not is_compliant("official", {}, ["*.Server.min_query_count = 10"])


def test_interactive_writes_under_the_interactive_model_key():
    text = user_conf_text(SCENARIOS["Interactive"], {"min_duration": "0"}, ["a.b.c = 1"], {"target_qps": "3"})
    lines = text.splitlines()[1:]
    assert lines == ["llama3_1-8b-interactive.Server.min_duration = 0", "a.b.c = 1",
                     "llama3_1-8b-interactive.Server.target_qps = 3"]


def test_user_conf_with_unknown_key_is_refused_with_file_and_key(tmp_path: pathlib.Path):
    conf = tmp_path / "user.conf"
    conf.write_text("# comment\nllama3_1-8b.Server.target_qps = 3\nllama3_1-8b.Server.target_qsp = 3\n")
    with pytest.raises(BadInput, match=r"user.conf .*user.conf: 'target_qsp' is not a LoadGen user.conf key"):
        read_user_conf(conf)


def test_user_conf_line_without_model_and_scenario_is_refused_with_its_line_number(tmp_path):
    conf = tmp_path / "user.conf"
    conf.write_text("\n\ntarget_qps = 3\n")
    with pytest.raises(BadInput, match="line 3 is not MODEL.SCENARIO.KEY"):
        read_user_conf(conf)


def test_missing_user_conf_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="No such file"):
        read_user_conf(tmp_path / "absent.conf")


def test_key_value_pairs_are_parsed_and_malformed_ones_named():
    assert parse_key_values(["target_qps=4", " a = b=c "], "--x") == {"target_qps": "4", "a": "b=c"}
    with pytest.raises(BadInput, match="--loadgen-setting 'target_qps' is not KEY=VALUE"):
        parse_key_values(["target_qps"], "--loadgen-setting")
