"""Benchmarks for 楼宇招商通 (``make bench``); results go to the git-ignored ``bench-results/``."""
