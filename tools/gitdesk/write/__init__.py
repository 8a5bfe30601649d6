"""Technicians' edits: locked, re-read, atomic writes of data files."""
