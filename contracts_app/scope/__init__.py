"""Versioned scope: clauses, scope versions with validity, and how annexes change them."""
