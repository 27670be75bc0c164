"""统一社会信用代码 (USCC) check per GB 32100-2015."""

from __future__ import annotations

import re

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]
VALUES = {ch: index for index, ch in enumerate(CHARSET)}  # imports check 100,000 codes at a time


def check_character(first17: str) -> str:
    total = sum(map(int.__mul__, map(VALUES.__getitem__, first17), WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


# The shape of a valid code written as stored (upper case, no spaces): most codes checked are.
WELL_FORMED = re.compile(f"[{CHARSET}]{{2}}[0-9]{{6}}[{CHARSET}]{{10}}")


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid USCC, in Chinese, or None when it is valid."""
    if code.__class__ is str and WELL_FORMED.fullmatch(code) and code[17] == check_character(code[:17]):
        return None
    if code is None or not code.strip():
        return "统一社会信用代码不能为空"
    code = code.strip().upper()
    if len(code) != 18:
        return f"统一社会信用代码应为 18 位，当前为 {len(code)} 位"
    bad = sorted({ch for ch in code if ch not in CHARSET})
    if bad:
        return f"统一社会信用代码含有不允许的字符：{'、'.join(bad)}（不使用 I、O、S、V、Z）"
    if not code[2:8].isdigit():
        return "统一社会信用代码第 3–8 位（登记管理机关行政区划码）应为数字"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码校验位错误：末位应为 {expected}，实为 {code[17]}"
    return None


def is_valid_uscc(code: str) -> bool:
    return uscc_problem(code) is None


def normalise_uscc(code: str) -> str:
    return (code or "").strip().upper()
