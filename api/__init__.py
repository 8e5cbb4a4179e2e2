"""HTTP API of the observatory (FastAPI): thin routes over `observatory` functions."""
