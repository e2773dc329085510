"""Annexes: dated changes to an agreement's scope, and their approval."""
