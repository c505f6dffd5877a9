"""Benchmarks: fixed-size builders and a runner writing JSON results (see README.md)."""
