"""The one error a transform raises: the value cannot be keyed as it is.

Transforms sit between the application as received and the core system's screen. When a
value cannot be made into what the screen accepts, guessing would put wrong data into a
resident's record, so the transform stops with :class:`InvalidValue` instead. Its message
is written for the clerk who handles the exception queue: it says what is wrong with the
value and, where it helps, what the allowed form is. It does not name the item (the caller
knows which field it was and prefixes that), and it never repeats a personal number or an
account number, so the message is safe to log as is.
"""

from __future__ import annotations


class InvalidValue(ValueError):
    """A value that no transform can turn into something the core system accepts.

    ``message`` is Japanese, about the value only, e.g.
    ``平成31年5月1日 は存在しない日付です（平成は31年4月30日まで）``.
    """

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message
