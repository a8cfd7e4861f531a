import pytest

from fleetbench_harness.engine_args import engine_kwargs, parse_value
from fleetbench_harness.errors import BadInput

KNOWN = frozenset({"dtype", "max_num_seqs", "enforce_eager", "gpu_memory_utilization", "quantization",
                   "model", "disable_log_stats", "enable_prefix_caching"})


@pytest.mark.parametrize(("text", "value"), [
    ("64", 64), ("0.9", 0.9), ("true", True), ("False", False), ("None", None), ("null", None),
    ("bfloat16", "bfloat16"), ('{"a": 1}', {"a": 1}), ("[1, 2]", [1, 2]),
])
def test_values_get_their_natural_type(text, value):
    assert parse_value(text) == value


def test_user_arguments_override_harness_defaults():
    kwargs = engine_kwargs({"max_num_seqs": "8", "disable_log_stats": "false"}, KNOWN)
    assert kwargs == {"max_num_seqs": 8, "disable_log_stats": False, "enable_prefix_caching": False}


def test_prefix_caching_is_passed_off_explicitly_unless_the_user_turns_it_on():
    assert engine_kwargs({}, KNOWN)["enable_prefix_caching"] is False
    assert engine_kwargs({"enable_prefix_caching": "true"}, KNOWN)["enable_prefix_caching"] is True


def test_unknown_engine_argument_is_bad_input_naming_it():
    with pytest.raises(BadInput, match="unknown vLLM engine argument.*max_num_seq$"):
        engine_kwargs({"max_num_seq": "8"}, KNOWN)


def test_model_cannot_be_smuggled_in_as_an_engine_argument():
    with pytest.raises(BadInput, match="model are set from --model"):
        engine_kwargs({"model": "/elsewhere"}, KNOWN)
