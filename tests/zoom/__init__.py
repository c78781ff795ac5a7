"""Tests of the built-in Zoom provider plugin."""
