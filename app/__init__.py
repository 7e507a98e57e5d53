"""Segan Studio desktop application (PySide6). A thin client of segan_core."""
