"""Test-only fault injection for the Microsoft 365 plugin's local Graph server (kept out of the shipped server)."""
