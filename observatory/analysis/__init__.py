"""Density, coverage, accessibility (2SFCA / E2SFCA) and gaps, stored as analysis runs.

Read results through `observatory.analysis.store` (`run_analysis`, `latest_run`,
`run_results`) and aggregate them with `observatory.analysis.summary.summarise`.
"""
