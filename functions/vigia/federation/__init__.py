"""Roaming between partner cities' stacks: the agreement, the signed EDXL-DE/CAP messages, the host's door.

Pure domain code (no AWS): `agreement` (who our partners are), `messages` (what crosses, as EDXL-DE 2.0
around CAP 1.2), `jws` (detached ES256 signatures through a Signer port), `verifier` (what the host checks,
in order, before it acts). See docs/roaming.md.
"""
