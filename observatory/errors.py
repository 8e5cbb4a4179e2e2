"""Domain errors: they know nothing of HTTP; the API and the CLI map them."""


class ObservatoryError(Exception):
    """Base of every error the observatory reports to its users."""


class NotFound(ObservatoryError):
    """A named object (region, area, comune, category, collection) does not exist."""


class InvalidInput(ObservatoryError):
    """A parameter or a file is not acceptable; the message says why."""


class ConfigurationError(ObservatoryError):
    """A data file such as areas.yaml or taxonomy.yaml is inconsistent."""


class GeographyNotLoaded(ObservatoryError):
    """The reference geography has not been loaded yet."""


class NotAuthenticated(ObservatoryError):
    """No API key was presented, or the key presented matches none."""


class PermissionDenied(ObservatoryError):
    """A known API key that may not do this: revoked, or not valid for the area."""


class UnsupportedFileType(InvalidInput):
    """An uploaded file's name, declared type or first bytes are not a format the ingest reads."""


class PayloadTooLarge(InvalidInput):
    """An upload is larger than the configured limit."""


class LimitExceeded(InvalidInput):
    """A file to ingest goes beyond a configured limit (rows, columns, size, time)."""


class LengthRequired(InvalidInput):
    """An upload did not declare its size (Content-Length)."""
