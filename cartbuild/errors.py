"""The one error family of packaging: a problem with the inputs or the build, shown as one line."""


class BuildError(Exception):
    """A problem with the inputs or the build; its message is the one-line error shown to the user."""
