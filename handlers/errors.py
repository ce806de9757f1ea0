"""Errors a person can act on. Every surface shows `str(error)` as it is; nothing else leaks out."""


class UserError(Exception):
    """Bad input or a request the user may not make, with a message that says what to do."""


class UnknownRep(UserError):
    def __init__(self, who: str) -> None:
        super().__init__(
            f"No rep with the email '{who}'. Reps are listed by `dealbot reps`; "
            "an admin can add one with `dealbot import` or the demo seed."
        )


class FieldErrors(UserError):
    """A submitted form is wrong: field name -> what to fix. Surfaces show them next to the field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class NotAllowed(UserError):
    """The actor's role does not cover this deal, lead or action."""


class AlreadyHandled(UserError):
    """A button whose item was already dealt with (another click, device or person)."""
