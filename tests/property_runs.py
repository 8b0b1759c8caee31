"""Running a hypothesis property and checking it was not vacuous.

Properties over random kernels return early when a primitive refuses; a primitive that
always refused would pass them. ``checked_property`` runs the property on derandomized
examples and fails unless enough examples really applied the primitive.
"""

from hypothesis import HealthCheck, settings


class Applied:
    """Counts the examples that reached the interesting part of a property."""

    def __init__(self):
        self.count = 0

    def __call__(self):
        self.count += 1


def checked_property(prop, applied: Applied, max_examples: int, at_least: int) -> None:
    """Run hypothesis property ``prop`` (already ``@given``) and require ``at_least``
    examples to have called ``applied()``."""
    settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
             suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])(prop)()
    assert applied.count >= at_least, \
        f"only {applied.count} of {max_examples} examples applied the primitive (need {at_least})"
