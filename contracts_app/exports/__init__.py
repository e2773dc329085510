"""Exports of an agreement's lists (scope, tasks, cap usage, annex register) as CSV and XLSX."""
