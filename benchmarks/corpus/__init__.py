"""The labelled corpus and its tools: run each as `python -m benchmarks.corpus.NAME`."""
