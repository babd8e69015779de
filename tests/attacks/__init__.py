"""Attacks on the grader, built as a student would build them (issue 22): each module makes the
submissions of one attack, and a test under tests/ grades them."""
