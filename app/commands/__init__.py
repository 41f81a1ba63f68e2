"""Command-line operations; each command calls a service and commits once."""
