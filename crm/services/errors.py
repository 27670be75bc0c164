"""Domain errors: raised by services, turned into a Chinese message at the edge."""


class DomainError(Exception):
    """A request the domain refuses; ``message`` is shown to the user as is (Chinese)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    pass
