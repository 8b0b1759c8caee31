"""Shared pytest configuration: hypothesis profiles.

``ci`` (selected when the CI environment variable is set, or with
HYPOTHESIS_PROFILE=ci) is deterministic: derandomized examples, no deadline, no
example database, so a CI run is reproducible.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev", deadline=None, suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# The on-disk proof cache (allo.verification.cache) is off for the test suite: a test
# must exercise the verifier, never read a verdict an earlier run left in ~/.cache, and
# never write there. Tests of the cache turn it on with a temporary ALLO_CACHE_DIR.
os.environ["ALLO_PROOF_CACHE"] = "0"
