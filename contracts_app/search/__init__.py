"""Search across the agreements, annexes and tasks a person may see."""
