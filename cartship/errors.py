"""The one error type cartship reports: a refusal with a one-line reason, before anything changed."""


class ShipError(Exception):
    """A precise, user-facing reason why a shipping command refused to act."""
