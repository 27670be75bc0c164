"""Domain errors: raised by services, turned into a Chinese message at the edge."""


class DomainError(Exception):
    """A request the domain refuses; ``message`` is shown to the user as is (Chinese)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    pass


class DomainErrors(DomainError):
    """Several refusals found in one pass (one per field), so a form shows them all at once.

    ``message`` joins them for callers that show one line (the API, an import row); ``field`` is
    the first one's; ``errors`` lists each ``DomainError``.
    """

    def __init__(self, errors: list[DomainError]):
        super().__init__("；".join(e.message for e in errors), field=errors[0].field)
        self.errors = errors


class Problems:
    """Collects the refusals of independent checks; ``check`` runs one and returns its value (or
    None when it refused), ``raise_any`` raises what was found: one error as itself, more as
    ``DomainErrors``."""

    def __init__(self):
        self.errors: list[DomainError] = []

    def check(self, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except DomainErrors as many:
            self.errors.extend(many.errors)
        except DomainError as error:
            self.errors.append(error)
        return None

    def add(self, message: str, field: str) -> None:
        self.errors.append(DomainError(message, field=field))

    def has(self, field: str) -> bool:
        return any(e.field == field for e in self.errors)

    def raise_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise DomainErrors(self.errors)
