"""Who a record is about: normalised emails, web domains and company domains.

Deduplication and account matching key on these, so `Bob@Acme.COM ` and `bob@acme.com` are one
person and `https://www.Acme.com/pricing` and `acme.com` are one company.
"""

from __future__ import annotations

import re

# A pragmatic check, not RFC 5322: one @, no spaces, a dotted domain with a letter TLD.
_EMAIL = re.compile(r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@([a-z0-9-]+\.)+[a-z]{2,63}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "outlook.de",
        "outlook.fr",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "hotmail.de",
        "hotmail.it",
        "hotmail.es",
        "live.com",
        "live.co.uk",
        "live.fr",
        "msn.com",
        "passport.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.de",
        "yahoo.es",
        "yahoo.it",
        "yahoo.co.jp",
        "yahoo.co.in",
        "yahoo.com.br",
        "ymail.com",
        "rocketmail.com",
        "aol.com",
        "aim.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "protonmail.ch",
        "pm.me",
        "tutanota.com",
        "tuta.io",
        "web.de",
        "t-online.de",
        "freenet.de",
        "mail.ru",
        "bk.ru",
        "inbox.ru",
        "list.ru",
        "rambler.ru",
        "qq.com",
        "163.com",
        "126.com",
        "yeah.net",
        "sina.com",
        "sohu.com",
        "aliyun.com",
        "naver.com",
        "daum.net",
        "hanmail.net",
        "zoho.com",
        "zohomail.com",
        "mail.com",
        "email.com",
        "usa.com",
        "hushmail.com",
        "fastmail.com",
        "fastmail.fm",
        "hey.com",
        "laposte.net",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "sfr.fr",
        "libero.it",
        "virgilio.it",
        "seznam.cz",
        "wp.pl",
        "o2.pl",
        "interia.pl",
        "onet.pl",
        "rediffmail.com",
        "btinternet.com",
        "sky.com",
        "comcast.net",
        "verizon.net",
        "att.net",
        "sbcglobal.net",
        "bellsouth.net",
        "cox.net",
        "charter.net",
        "earthlink.net",
        "juno.com",
        "shaw.ca",
        "rogers.com",
        "bigpond.com",
        "optusnet.com.au",
        "uol.com.br",
        "bol.com.br",
        "terra.com.br",
    }
)
# Providers that register the same service under many country TLDs (gmx.de, yandex.ru, ...).
FREE_MAIL_FAMILIES = frozenset({"gmx", "yandex", "ya"})


def normalise_email(text: str | None) -> str | None:
    """The address stripped and lower-cased, or None when the text is not an email address."""
    if not text:
        return None
    candidate = text.strip().strip("<>").strip().lower()
    if candidate.startswith("mailto:"):
        candidate = candidate[len("mailto:") :]
    if not _EMAIL.match(candidate) or ".." in candidate:
        return None
    return candidate


def domain_from_email(text: str | None) -> str | None:
    """The normalised domain after the @ of an email address, or None when it is not one."""
    email = normalise_email(text)
    return email.rsplit("@", 1)[1] if email else None


def domain_from_url(text: str | None) -> str | None:
    """The host of a URL or bare domain, lower-cased, without `www.`, port, path or trailing dot."""
    if not text:
        return None
    host = text.strip().lower()
    host = re.sub(r"^(?:[a-z][a-z0-9+.-]*:)?//", "", host)
    host = re.split(r"[/?#]", host, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1]
    host = host.split(":", 1)[0].rstrip(".")
    if host.startswith("www."):
        host = host[len("www.") :]
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    if not re.match(r"^[a-z]{2,63}$|^xn--[a-z0-9-]+$", labels[-1]):
        return None
    return host


def is_free_mail(domain: str | None) -> bool:
    """True when the domain belongs to a consumer mail provider rather than a company."""
    if not domain:
        return False
    domain = domain.strip().lower().rstrip(".")
    labels = domain.split(".")
    return domain in FREE_MAIL_DOMAINS or (labels[0] in FREE_MAIL_FAMILIES and len(labels) <= 3)


def company_domain(email_or_url: str | None) -> str | None:
    """The company's domain from an email address or a website, never a free-mail domain."""
    if not email_or_url:
        return None
    text = email_or_url.strip()
    looks_like_email = "@" in text and "://" not in text
    domain = domain_from_email(text) if looks_like_email else domain_from_url(text)
    if domain is None or is_free_mail(domain):
        return None
    return domain
