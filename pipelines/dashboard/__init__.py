"""The dashboard: static plotly pages rendered from the published database (render.py)."""
