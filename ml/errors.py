"""Exceptions raised by the ml package. Their messages are meant for people."""


class DataError(ValueError):
    """The data cannot be used: a column is missing, too few valid rows, an unreadable file."""


class ArtifactError(ValueError):
    """A model artifact cannot be loaded: its hash or its library versions do not match."""
