"""fleetbench harness: MLPerf LoadGen driving vLLM for the Llama-3.1-8B benchmark."""

__version__ = "0.1.0"
