"""Money as CRMs export it: `$1,234.56`, `1.234,56 €`, `EUR 1 234,56`, `(500)`, `-12`."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOLLARS = {
    "": "USD",
    "US": "USD",
    "A": "AUD",
    "C": "CAD",
    "CA": "CAD",
    "NZ": "NZD",
    "HK": "HKD",
    "S": "SGD",
    "R": "BRL",
    "MX": "MXN",
}
_SYMBOLS = {
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "₩": "KRW",
    "₽": "RUB",
    "₺": "TRY",
    "zł": "PLN",
    "kr": "SEK",
    "fr.": "CHF",
}
_DOLLAR = re.compile(r"([A-Z]{0,2})\$")
_CODE = re.compile(r"^([A-Za-z]{3})\s*(?=[-+(\d.,])|(?<=[\d.,)])\s*([A-Za-z]{3})$")
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_NUMBER = re.compile(r"^\d[\d.,]*$|^[.,]\d+$")


@dataclass(frozen=True, slots=True)
class Money:
    amount: float
    currency: str | None = None


def parse_money(text: str | None) -> Money | None:
    """The amount and any currency written with it; None when blank; ValueError when unreadable."""
    if text is None or not text.strip():
        return None
    rest, currency = _take_currency(text.strip())
    rest, negative = _take_sign(rest)
    number = _SPACES.sub("", rest)
    if not _NUMBER.match(number):
        raise ValueError(f"'{text.strip()}' is not an amount")
    amount = float(_plain_decimal(number))
    return Money(amount=-amount if negative else amount, currency=currency)


def parse_currency(text: str | None) -> str | None:
    """An ISO 4217 code from a code or symbol (`eur`, `€`, `US$`); ValueError when unreadable."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    if re.fullmatch(r"[A-Za-z]{3}", value):
        return value.upper()
    rest, currency = _take_currency(value)
    if currency and not rest.strip():
        return currency
    raise ValueError(f"'{value}' is not a currency; use a code such as USD or EUR")


def _take_currency(text: str) -> tuple[str, str | None]:
    dollar = _DOLLAR.search(text)
    if dollar and dollar.group(1) in _DOLLARS:
        return text[: dollar.start()] + text[dollar.end() :], _DOLLARS[dollar.group(1)]
    for symbol, code in _SYMBOLS.items():
        if symbol in text:
            return text.replace(symbol, "", 1), code
    code_match = _CODE.search(text)
    if code_match:
        code = code_match.group(1) or code_match.group(2)
        return text[: code_match.start()] + text[code_match.end() :], code.upper()
    return text, None


def _take_sign(text: str) -> tuple[str, bool]:
    value = text.strip().replace("\u2212", "-")
    if value.startswith("(") and value.endswith(")"):
        return value[1:-1].strip(), True
    if value.startswith("-") or value.endswith("-"):
        return value.strip("-").strip(), True
    return value.lstrip("+").strip(), False


def _plain_decimal(number: str) -> str:
    """`1,234.56`, `1.234,56` and `1234,5` as `1234.56`/`1234.5`.

    With both marks the later one is the decimal mark. A lone comma followed by exactly three
    digits (`1,234`) is read as a thousands separator, as US exports write it; a lone dot is
    always a decimal mark. Repeated marks (`1.234.567`) are thousands separators.
    """
    if "," in number and "." in number:
        decimal = "," if number.rfind(",") > number.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        return number.replace(thousands, "").replace(decimal, ".")
    for mark in (",", "."):
        if number.count(mark) > 1:
            return number.replace(mark, "")
    if "," in number:
        head, tail = number.split(",")
        return head + tail if len(tail) == 3 and head else f"{head or '0'}.{tail}"
    return number
