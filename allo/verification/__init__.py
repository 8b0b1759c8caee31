"""Verification at scale: the choice among full symbolic execution, modular proofs and
certificate chains (:mod:`.methods`), the certificate chain itself (:mod:`.certificates`)
and the content-addressed proof cache (:mod:`.cache`).

Example::

    from allo.verification import verify_modules
    v = verify_modules(s.original, s.ir, chain=s._chain)   # what s.verify() runs
"""

from .cache import ProofCache, cache_enabled, default_cache, proof_key  # noqa: F401
from .certificates import CertificateChain, check_chain  # noqa: F401
from .methods import METHODS, verify_modules  # noqa: F401

__all__ = ["verify_modules", "METHODS", "CertificateChain", "check_chain", "ProofCache",
           "proof_key", "cache_enabled", "default_cache"]
