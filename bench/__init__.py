"""tactful's evaluation harness and benchmarks; results land in bench/RESULTS.md."""
