"""Placeholder until the reports work lands: OUT/report.html."""


def write(out, records, safe_ids, grading):
    return None
