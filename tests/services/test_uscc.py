"""统一社会信用代码 check (GB 32100-2015, DESIGN.md "USCC check"), with hand-computed check characters."""

from __future__ import annotations

import pytest

from crm.services.uscc import check_character, is_valid_uscc, normalise_uscc, uscc_problem

# Written out from DESIGN.md rather than imported, so a typo in the module cannot hide here.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

VALID_1 = "91210200241281392F"
VALID_2 = "91310110666007217T"


def test_charset_is_31_characters_without_i_o_s_v_z():
    assert len(CHARSET) == 31
    for letter in "IOSVZ":
        assert letter not in CHARSET


def test_check_character_of_first_example_by_hand():
    # 9121020024128139 2 → values (index in CHARSET) = the digits themselves:
    # v = 9 1 2 1 0 2 0 0 2 4 1 2 8 1 3 9 2
    # w = 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
    # v·w = 9+3+18+27+0+52+0+0+40+116+25+26+64+24+30+270+56 = 760
    # 760 mod 31 = 760 − 24·31 (744) = 16;  (31 − 16) mod 31 = 15;  CHARSET[15] = 'F'
    assert sum(CHARSET.index(c) * w for c, w in zip(VALID_1[:17], WEIGHTS)) == 760
    assert check_character(VALID_1[:17]) == "F"


def test_check_character_of_second_example_by_hand():
    # v = 9 1 3 1 0 1 1 0 6 6 6 0 0 7 2 1 7
    # v·w = 9+3+27+27+0+26+16+0+120+174+150+0+0+168+20+30+196 = 966
    # 966 mod 31 = 966 − 31·31 (961) = 5;  31 − 5 = 26;  CHARSET[26] = 'T' (0–9, A–H = 10–17, J K L M N P Q R T)
    assert sum(CHARSET.index(c) * w for c, w in zip(VALID_2[:17], WEIGHTS)) == 966
    assert check_character(VALID_2[:17]) == "T"


@pytest.mark.parametrize("code", [VALID_1, VALID_2])
def test_valid_codes(code):
    assert uscc_problem(code) is None
    assert is_valid_uscc(code)


def test_wrong_check_character_names_the_expected_one():
    problem = uscc_problem("91310110666007217U")
    assert problem is not None
    assert "T" in problem  # the expected check character
    assert "校验" in problem
    assert not is_valid_uscc("91310110666007217U")


@pytest.mark.parametrize("code", [VALID_1[:17], VALID_1 + "0", "", "9121020024128139"])
def test_wrong_length_is_rejected(code):
    problem = uscc_problem(code)
    assert problem is not None
    if code:
        assert "18" in problem


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_forbidden_letters_are_named(letter):
    # Put the letter at position 10 (a free position); the check character no longer matters,
    # the message must be about the letter itself.
    code = VALID_1[:9] + letter + VALID_1[10:]
    problem = uscc_problem(code)
    assert problem is not None
    assert letter in problem
    assert not is_valid_uscc(code)


@pytest.mark.parametrize("position", range(2, 8))
def test_non_digit_in_characters_3_to_8_is_rejected(position):
    # Characters 3–8 (indexes 2..7) are the administrative area code: digits only.
    # Recompute the check character so that only the digit rule can be the reason.
    body = VALID_1[:position] + "A" + VALID_1[position + 1 : 17]
    code = body + check_character(body)
    problem = uscc_problem(code)
    assert problem is not None
    assert "3" in problem and "8" in problem


def test_letters_elsewhere_are_fine_when_the_check_matches():
    # Position 9 onwards may carry letters (organisation code). 91210200 A4128139 2:
    # replacing index 8 '2' (v=2) by 'A' (v=10) adds (10−2)·20 = 160 to 760 → 920;
    # 920 mod 31 = 920 − 29·31 (899) = 21; 31 − 21 = 10 → 'A'.
    body = VALID_1[:8] + "A" + VALID_1[9:17]
    assert check_character(body) == "A"
    assert uscc_problem(body + "A") is None


def test_lower_case_is_accepted_after_normalise():
    lower = " " + VALID_2.lower() + " "
    normalised = normalise_uscc(lower)
    assert normalised == VALID_2
    assert is_valid_uscc(normalised)


def test_normalise_of_none_is_empty():
    assert normalise_uscc(None) == ""


def test_every_single_character_change_is_rejected():
    # 31 is prime and no weight is 0 mod 31, so changing one character among the first 17 by a
    # value difference d (1 ≤ |d| ≤ 30) changes the sum by d·w ≢ 0 (mod 31); changing the 18th
    # makes it differ from the computed check. Hence every change must be caught.
    for valid in (VALID_1, VALID_2):
        accepted = []
        for position in range(18):
            for ch in CHARSET:
                if ch == valid[position]:
                    continue
                changed = valid[:position] + ch + valid[position + 1 :]
                if uscc_problem(changed) is None:
                    accepted.append(changed)
        assert accepted == []


def test_every_single_character_change_to_a_forbidden_letter_is_rejected():
    for position in range(18):
        for ch in "IOSVZ":
            assert not is_valid_uscc(VALID_1[:position] + ch + VALID_1[position + 1 :])
