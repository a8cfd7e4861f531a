"""`make bench-harness`: the harness against plain LLM.generate and the MLCommons reference."""
