"""Verification at scale: the choice among full symbolic execution, modular proofs and
certificate chains (:mod:`.methods`), the certificate chain itself (:mod:`.certificates`)
and the content-addressed proof cache (:mod:`.cache`).

The package imports none of them itself, so :mod:`allo.symexec` can use the cache
without an import circle (:mod:`.methods` imports :mod:`allo.symexec`).

Example::

    from allo.verification.methods import verify_modules
    v = verify_modules(s.original, s.ir, chain=s._chain)   # what s.verify() runs
"""
