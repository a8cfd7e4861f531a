from fleetbench_harness.engine import one_line, root_cause

ENGINE_LOG = """\
(EngineCore pid=1) INFO 11-22 05:45:20 [core.py:90] starting
(EngineCore pid=1) ERROR 11-22 05:45:28 [core.py:1510] Traceback (most recent call last):
(EngineCore pid=1) ERROR 11-22 05:45:28 [core.py:1510] ValueError: To serve at least one request ... KV cache memory (0.0 GiB).
Traceback (most recent call last):
RuntimeError: Engine core initialization failed. See root cause above.
"""


def test_cause_is_the_last_exception_line_in_the_log(tmp_path):
    log = tmp_path / "harness.log"
    log.write_text(ENGINE_LOG)
    assert root_cause(log) == "RuntimeError: Engine core initialization failed. See root cause above."


def test_lines_before_the_engine_started_are_not_blamed(tmp_path):
    log = tmp_path / "harness.log"
    log.write_text("KeyError: from an earlier run\n")
    offset = log.stat().st_size
    assert root_cause(log, offset) is None
    with log.open("a") as stream:
        stream.write("OSError: [Errno 12] Cannot allocate memory\n")
    assert root_cause(log, offset) == "OSError: [Errno 12] Cannot allocate memory"


def test_no_log_means_no_cause(tmp_path):
    assert root_cause(None) is None
    assert root_cause(tmp_path / "absent.log") is None


def test_one_line_squeezes_whitespace_and_caps_length():
    assert one_line(ValueError("a\n  b")) == "a b"
    assert len(one_line(ValueError("x" * 1000))) == 300
    assert one_line(ValueError()) == "ValueError"
