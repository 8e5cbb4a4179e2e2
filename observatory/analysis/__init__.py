"""Density, coverage, accessibility (2SFCA / E2SFCA) and gaps, stored as analysis runs.

Ask for a result by its parameters with `observatory.analysis.store.run_analysis` (stored
run of these parameters on the current data version, or computed now), read it with
`run_results`, aggregate with `observatory.analysis.summary.summarise`; the API reads
through `observatory.analysis.results`.
"""
