# The two commands of the README.
.PHONY: run test bench

run:
	scripts/run

test:
	scripts/test

bench:
	.venv/bin/python bench/core_bench.py
