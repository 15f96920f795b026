from stdnum.cn import uscc

from yijianshi.accounts.domain.credit_code import credit_code_for_serial, organisation_check


def test_the_organisation_code_check_follows_gb_11714():
    # C9 = 11 - MOD(sum(Ci * Wi), 11): 12345678 sums to 289, 289 mod 11 = 3, so 8; D2143569 (D = 13) sums to
    # 199, remainder 1, so 10, written X (the standard's own example, D2143569-X).
    assert organisation_check("12345678") == "8"
    assert organisation_check("D2143569") == "X"


def test_assigned_codes_are_valid_distinct_and_local():
    codes = [credit_code_for_serial(n) for n in (1, 2, 30, 31, 961, 10_000)]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert uscc.is_valid(code)
        assert code.startswith("91610830MA")
        assert organisation_check(code[8:16]) == code[16]
