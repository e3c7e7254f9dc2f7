"""The study's report: XTREME scores with confidence intervals, Markdown tables, PNG plots,
DVC metrics and plot data, and the checks of the paper's qualitative findings.

- ``collect``: reads the pipeline's metrics files into per-seed scores.
- ``stats``: mean and t-interval, task score, cross-lingual gap, XTREME and group scores.
- ``analysis``: the whole study's estimates (cells, XTREME, gains over the baseline).
- ``checks``: the findings, each stated with its value.
- ``tables`` / ``plots`` / ``export``: Markdown, PNG, summary.json and CSV.
- ``paper``: the published numbers that could be verified, with their sources.
"""
