"""Curated data (FAQ entries, rate cards), its loader and the pure question matcher."""
