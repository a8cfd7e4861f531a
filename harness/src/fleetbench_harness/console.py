"""Where output goes during a run: everything into harness.log, the verdict to the terminal."""
from __future__ import annotations

import contextlib
import logging
import os
import pathlib
import sys

LOG_FILE = "harness.log"


@contextlib.contextmanager
def output_to_log(log_path: pathlib.Path):
    """Point fd 1 and 2 at the log, so vLLM's engine processes and LoadGen's C++ land there too.
    Yields (stdout, stderr) streams that still reach the terminal."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    terminal_out = os.fdopen(saved_out, "w", buffering=1)
    terminal_err = os.fdopen(saved_err, "w", buffering=1)
    try:
        yield terminal_out, terminal_err
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(terminal_out.fileno(), 1)
        os.dup2(terminal_err.fileno(), 2)
        terminal_out.close()
        terminal_err.close()


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
