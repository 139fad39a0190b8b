"""The one-aid rule as set-based checks over enrollments (placeholder until the engine lands)."""


def check_enrollments(enrollment_ids):
    """Check these enrollments against the one-aid rule and return the conflicts written."""
    return []
