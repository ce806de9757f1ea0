"""Emails, web domains and company domains, as tables of input and expected output."""

from __future__ import annotations

import pytest

from core.identity import (
    company_domain,
    domain_from_email,
    domain_from_url,
    is_free_mail,
    normalise_email,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bob@acme.com", "bob@acme.com"),
        ("  Bob.Smith@ACME.com ", "bob.smith@acme.com"),
        ("<sarah+crm@acme.co.uk>", "sarah+crm@acme.co.uk"),
        ("mailto:Kim@Initech.io", "kim@initech.io"),
        ("bob@", None),
        ("@acme.com", None),
        ("bob acme.com", None),
        ("bob@acme", None),
        ("bob@@acme.com", None),
        ("bob..smith@acme.com", None),
        ("bob smith@acme.com", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_email(text: str | None, expected: str | None) -> None:
    assert normalise_email(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Bob@Acme.COM", "acme.com"), ("x@mail.acme.de", "mail.acme.de"), ("not an email", None)],
)
def test_domain_from_email(text: str, expected: str | None) -> None:
    assert domain_from_email(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("acme.com", "acme.com"),
        ("ACME.COM", "acme.com"),
        ("https://www.acme.com/pricing?ref=x#top", "acme.com"),
        ("http://Acme.com:8080/", "acme.com"),
        ("www.acme.com.", "acme.com"),
        ("  https://shop.acme.co.uk  ", "shop.acme.co.uk"),
        ("//acme.com/path", "acme.com"),
        ("ftp://files.acme.com", "files.acme.com"),
        ("https://user@acme.com", "acme.com"),
        ("acme.com/about", "acme.com"),
        ("acme", None),
        ("http://", None),
        ("-acme.com", None),
        ("acme.123", None),
        ("", None),
        (None, None),
    ],
)
def test_domain_from_url(text: str | None, expected: str | None) -> None:
    assert domain_from_url(text) == expected


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("gmail.com", True),
        ("GoogleMail.com", True),
        ("outlook.com", True),
        ("hotmail.com", True),
        ("yahoo.co.uk", True),
        ("icloud.com", True),
        ("proton.me", True),
        ("gmx.de", True),
        ("gmx.net", True),
        ("yandex.ru", True),
        ("web.de", True),
        ("qq.com", True),
        ("163.com", True),
        ("zoho.com", True),
        ("acme.com", False),
        ("gmx-consulting.com", False),
        ("", False),
        (None, False),
    ],
)
def test_is_free_mail(domain: str | None, expected: bool) -> None:
    assert is_free_mail(domain) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sarah@acme.com", "acme.com"),
        ("Sarah@Sales.Acme.com", "sales.acme.com"),
        ("https://www.acme.com/contact", "acme.com"),
        ("acme.com", "acme.com"),
        ("sarah@gmail.com", None),
        ("https://mail.yahoo.com", "mail.yahoo.com"),
        ("www.hotmail.com", None),
        ("kim@gmx.at", None),
        ("not a thing", None),
        ("", None),
        (None, None),
    ],
)
def test_company_domain(text: str | None, expected: str | None) -> None:
    assert company_domain(text) == expected
