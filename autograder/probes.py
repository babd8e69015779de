"""Placeholder until the reports work lands: data for the feedback page's plots."""


def collect(student, stubs, parts):
    return {}
