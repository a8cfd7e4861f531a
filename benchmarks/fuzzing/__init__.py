"""A mutation fuzzer for fleetbench's parsers: real outputs in, damaged copies through each parser.

mutations.py damages bytes the way disks, truncated copies and hostile hosts do; targets.py
says how each parser is fed and which exception is its clean refusal; campaign.py runs a target
and counts what escaped and what was slow. benchmarks/fuzz_parsers.py (`make fuzz`) and
tests/unit/benchmarks/test_fuzz_parsers.py drive it.
"""
