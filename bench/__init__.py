"""Benchmarks of kgraph against its peers, and at synthetic scale (``python -m bench``).

Benchmarks print what they measured, with ratios against peers measured in the same
run; they are not tests and assert nothing about time.
"""
