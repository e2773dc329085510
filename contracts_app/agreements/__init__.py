"""Agreements, their parties and who may do what on each."""
