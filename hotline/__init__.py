"""Hotline Flow command line and settings."""
