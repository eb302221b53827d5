"""Revisions, oldest first by their numbered ids. Never edit a released one: a change is a new revision."""
