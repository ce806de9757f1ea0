"""Amounts as people read them in a chat line."""

from __future__ import annotations

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "AUD": "A$", "CAD": "C$"}


def format_amount(amount: float | None, currency: str = "USD") -> str:
    """`$45,000`, `€1,250`, `CHF 9,900`; `no amount` when unknown."""
    if amount is None:
        return "no amount"
    whole = f"{amount:,.0f}"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{symbol}{whole}" if symbol else f"{currency.upper()} {whole}"


def format_days(days: float) -> str:
    """`~8 days`, `~1 day`, `today`."""
    rounded = round(days)
    if rounded <= 0:
        return "today"
    return f"~{rounded} day" if rounded == 1 else f"~{rounded} days"
