"""Agreement summaries as PDF documents, their sign-off and verification."""
