"""The one error family of the rehearsal: what GitHub (or an action) would have failed on."""


class RehearsalError(Exception):
    """A job, a step or the workflow itself failed as it would on GitHub; the message says why."""


class UnsupportedWorkflow(RehearsalError):
    """The workflow uses a feature the rehearsal does not model: failing beats guessing."""
