"""Assigning a unified social credit code (统一社会信用代码, GB 32100-2015) to an enterprise registered here.

Layout: registration authority (1) + entity type (1) + division code (6) + organisation code (9, GB 11714-1997)
+ check character (1). The platform registers companies for 市场监管 ("9" + "1") in Qingjian (610830); the
organisation-code body of codes issued since 2015 starts with "MA", which we follow, and ends with its own
GB 11714 check character. The final character is python-stdnum's USCC check.
"""

from __future__ import annotations

from stdnum.cn import uscc

# GB 11714-1997: characters valued 0-9 and A-Z = 10..35, weighted, check = 11 - (sum mod 11); 10 -> X, 11 -> 0.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# The body of an organisation code avoids letters that GB 32100 excludes from the credit code (I, O, Z, S, V).
_BODY_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
MARKET_REGULATOR_ENTERPRISE = "91"


def organisation_check(body: str) -> str:
    total = sum(int(char, 36) * weight for char, weight in zip(body, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def credit_code_for_serial(serial: int, *, division: str = "610830",
                           prefix: str = MARKET_REGULATOR_ENTERPRISE) -> str:
    """The credit code for the n-th enterprise this platform registers: MA + six body characters from the serial."""
    if serial < 1 or serial >= len(_BODY_ALPHABET) ** 6:
        raise ValueError("serial out of range")
    digits = []
    value = serial
    for _ in range(6):
        value, remainder = divmod(value, len(_BODY_ALPHABET))
        digits.append(_BODY_ALPHABET[remainder])
    body = "MA" + "".join(reversed(digits))
    organisation = body + organisation_check(body)
    first17 = prefix + division + organisation
    return first17 + uscc.calc_check_digit(first17)
