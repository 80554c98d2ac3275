"""popcache's benchmarks: ``python -m bench`` prints a Markdown table a section, each measured
side by side with its reference, and whether each meets its target."""
