import json

import pytest

from fleetbench_harness.accuracy import passed, read_accuracy_log, targets
from fleetbench_harness.errors import BadInput


def full_run_scores(**changes):
    scores = {"rouge1": 38.78, "rouge2": 15.91, "rougeL": 24.50, "rougeLsum": 35.80,
              "gen_len": 8167644, "gen_num": 13368}
    scores.update(changes)
    return scores


def test_targets_are_99_percent_of_the_reference_and_gen_len_within_ten_percent():
    goal = targets()
    assert goal["rouge1"] == pytest.approx(38.3914, abs=1e-4)
    assert goal["rougeLsum"] == pytest.approx(35.4351, abs=1e-4)
    assert goal["gen_len"] == {"min": 7350880, "max": 8984408}
    assert goal["gen_num"] == 13368


def test_reference_level_scores_pass():
    assert passed(full_run_scores(), targets())


@pytest.mark.parametrize("change", [{"rouge2": 15.7}, {"gen_len": 7000000}, {"gen_len": 9000000}])
def test_any_score_below_target_fails(change):
    assert passed(full_run_scores(**change), targets()) is False


def test_targets_do_not_apply_to_a_subset():
    assert passed(full_run_scores(gen_num=64, gen_len=30000), targets()) is None


def test_accuracy_log_is_decoded_as_little_endian_int32_and_first_entry_wins(tmp_path):
    log = tmp_path / "mlperf_log_accuracy.json"
    ids = (1).to_bytes(4, "little") + (300).to_bytes(4, "little")
    log.write_text(json.dumps([
        {"seq_id": 0, "qsl_idx": 3, "data": ids.hex().upper()},
        {"seq_id": 1, "qsl_idx": 3, "data": (7).to_bytes(4, "little").hex()},
        {"seq_id": 2, "qsl_idx": 0, "data": (2**31 - 1).to_bytes(4, "little").hex()},
    ]))
    decoded = read_accuracy_log(log)
    assert decoded[3].tolist() == [1, 300]
    assert decoded[0].tolist() == [2**31 - 1]


def test_unreadable_accuracy_log_is_bad_input(tmp_path):
    log = tmp_path / "mlperf_log_accuracy.json"
    log.write_text("[{")
    with pytest.raises(BadInput, match="accuracy log .* not readable"):
        read_accuracy_log(log)
