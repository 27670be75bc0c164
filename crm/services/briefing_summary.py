"""The words of the briefing's first page (本月综述): what rose, what fell, why, and what needs attention.

Pure functions over the briefing's plain data (``crm.services.briefing.briefing_data``): no
session, no clock — the same dict always gives the same sentences, so they are tested against
hand-written dicts and hand-computed figures. Each sentence names its reasons from figures the
data already holds: the month bridge's movers per building (``headline.occupied_area.movers``)
explain a change of occupancy, the buildings' tax this year and last explain the tax year on
year, the watch list names who needs attention, and the 亿元楼 candidates name the one nearest
the threshold with its verdict (as the candidate report words it).

Numbers read as everywhere (``crm.formats``): 万元 with one decimal (亿元 from ¥100 m), m² whole,
percentages and points with one decimal, all half-up.
"""

from __future__ import annotations

from crm.formats import area, half_up, money, percent

MAIN_MOVERS = 2  # reasons named for a change of occupancy
NAMES_LISTED = 3  # buildings or companies named in one clause before "等"
FALLING_KINDS = ("moved_out", "lapsed")


def issue_label(month: str) -> str:
    """The issue number (期号) of a month's briefing: one issue a month, numbered by the month —
    2026-11 is 2026年第11期."""
    year, number = month.split("-")
    return f"{int(year)}年第{int(number)}期"


def summary_sentences(data: dict) -> list[str]:
    """The 本月综述 of page 1, sentence by sentence (each ends with "。")."""
    sentences = [
        occupancy_sentence(data),
        tax_sentence(data),
        attention_sentence(data),
        candidates_sentence(data),
        pipeline_sentence(data),
    ]
    sentences += [s["summary"] for s in data.get("sections", []) if s.get("summary")]
    return [s for s in sentences if s]


def confirmation_sentence(data: dict) -> str:
    """How many buildings' figures are not yet confirmed; the list itself is in the appendix."""
    confirmation = data["confirmation"]
    if confirmation["all_confirmed"]:
        return f"全部{confirmation['buildings']}栋楼宇均已确认{data['month_label']}数据。"
    return f"{len(confirmation['unconfirmed'])}栋楼宇本月数据尚未确认（其数字按现有租约推算），见附录。"


# --------------------------------------------------------------------------------------------
# Occupancy


def _listed(names: list[str]) -> str:
    shown = "、".join(names[:NAMES_LISTED])
    return shown + ("等" if len(names) > NAMES_LISTED else "")


def mover_phrase(mover: dict, with_name: bool = True) -> str:
    """One building's move in words: 甲大厦2家企业迁出（1,024 m²）."""
    name = mover["name"] if with_name else ""
    size = f"（{area(mover['area'])} m²）"
    if mover["kind"] == "moved_in":
        return f"{name}新入驻{mover['companies']}家企业{size}"
    if mover["kind"] == "moved_out":
        return f"{name}{mover['companies']}家企业迁出{size}"
    return f"{name}{mover['companies']}家企业租约到期未处置{size}"


def movers_phrase(movers: list[dict]) -> str:
    """The movers in words, the building named once when two lines in a row share it."""
    phrases, previous = [], None
    for mover in movers:
        phrases.append(mover_phrase(mover, with_name=mover["building"] != previous))
        previous = mover["building"]
    return "、".join(phrases)


def counter_phrase(movers: list[dict], rising: bool) -> str:
    """What moved the other way in the month, as one clause (one building named; several summed)."""
    if not movers:
        return ""
    if len(movers) == 1:
        return mover_phrase(movers[0])
    companies = sum(m["companies"] for m in movers)
    size = area(sum(m["area"] for m in movers))
    what = "迁出及到期未处置" if rising else "新入驻"
    return f"{what}共{companies}家企业（{size} m²）"


def occupancy_sentence(data: dict) -> str:
    h = data["headline"]
    occ = h["occupancy"]
    if occ["value"] is None:
        return "全区尚无可租面积。"
    text = f"全区入驻率{percent(occ['value'])}"
    if occ["change_month"] is None:
        return text + "。"
    change = half_up(occ["change_month"], 1)
    movers = h["occupied_area"].get("movers", [])
    if change == 0:
        return text + "，与上月持平。"
    rising = change > 0
    text += f"，较上月{'上升' if rising else '下降'}{abs(change)}个百分点"
    occupied_change = h["occupied_area"]["change_month"] or 0
    leasable_change = h["leasable_area"]["change_month"] or 0
    if (occupied_change > 0) != rising or occupied_change == 0:
        # The occupied area did not move the occupancy's way: the leasable area did.
        grown = "增加" if leasable_change > 0 else "减少"
        return text + f"，主要因可租面积{grown}{area(abs(leasable_change))} m²。"
    main = [m for m in movers if (m["kind"] == "moved_in") == rising][:MAIN_MOVERS]
    against = [m for m in movers if (m["kind"] == "moved_in") != rising]
    if not main:
        return text + "，主要因单元变动等其他因素（见变动说明）。"
    text += f"，主要因{movers_phrase(main)}"
    counter = counter_phrase(against, rising)
    return text + (f"；同期{counter}。" if counter else "。")


# --------------------------------------------------------------------------------------------
# Tax


def change_words(fraction) -> str:
    """A relative change in words: 增长75.0% / 下降13.9% / 持平."""
    rounded = half_up(fraction * 100, 1)
    if rounded == 0:
        return "持平"
    return f"{'增长' if rounded > 0 else '下降'}{abs(rounded)}%"


def tax_driver(data: dict, rising: bool) -> str:
    """The building whose tax this year moved most the way the district's did, against the same
    months last year: 乙大厦减少1,210.0 万元."""
    moves = [
        (b["tax_ytd"] - b["tax_ytd_prev"], b["code"], b["name"])
        for b in data["buildings"]
        if b.get("tax_ytd") is not None and b.get("tax_ytd_prev") is not None
    ]
    moves = [m for m in moves if (m[0] > 0 if rising else m[0] < 0)]
    if not moves:
        return ""
    amount, _, name = sorted(moves, key=lambda m: (-abs(m[0]), m[1]))[0]
    return f"{name}{'增加' if rising else '减少'}{money(abs(amount))}"


def tax_sentence(data: dict) -> str:
    tax = data["tax"]
    month_tax = data["headline"]["tax_month"]
    if data["tax_imported"]:
        first = f"本月税收{money(month_tax['value'])}"
        if month_tax["change_month"] is not None:
            first += f"，较上月{change_words(month_tax['change_month'])}"
    else:
        first = f"{data['month_label']}税收数据尚未导入"
    second = f"本年累计税收{money(tax['tax_ytd'])}"
    change = tax["tax_ytd_change"]
    if change is None:
        second += "（上年同期无税收数据）"
    else:
        second += f"，同比{change_words(change)}"
        rounded = half_up(change * 100, 1)
        driver = tax_driver(data, rising=rounded > 0) if rounded != 0 else ""
        if driver:
            second += f"，主要因{driver}"
    return f"{first}；{second}。"


# --------------------------------------------------------------------------------------------
# What needs attention


def attention_sentence(data: dict) -> str:
    watch = data["watch"]
    items = []
    for drop in watch["occupancy_drops"][:NAMES_LISTED]:
        items.append(
            f"{drop['name']}入驻率降至{percent(drop['occupancy'])}（下降{abs(half_up(drop['change_points'], 1))}个百分点）"
        )
    if len(watch["occupancy_drops"]) > NAMES_LISTED:
        items[-1] += f"等{len(watch['occupancy_drops'])}栋"
    target = half_up(data["target_occupancy"] * 100, 0)
    below = sorted(
        (b for b in data["buildings"] if b["occupancy"] is not None and b["occupancy"] < data["target_occupancy"]),
        key=lambda b: (b["occupancy"], b["code"]),
    )
    if below:
        items.append(f"{len(below)}栋楼宇入驻率低于{target}%目标（{_listed([b['name'] for b in below])}）")
    expiring = watch["expiring_large_taxpayers"]
    if expiring:
        first = expiring[0]
        items.append(
            f"{len(expiring)}家大额纳税企业租约即将到期（最早为{first['company']}，{first['building']}，"
            f"{first['end_date']}到期）"
        )
    left = watch["left_district"]
    if left:
        items.append(f"{len(left)}家企业本月迁出本区（{_listed([r['company'] for r in left])}）")
    if not items:
        return "本月没有需要特别关注的楼宇和企业。"
    return "需关注：" + "；".join(items) + "。"


# --------------------------------------------------------------------------------------------
# 亿元楼 candidates and the pipeline


def candidates_sentence(data: dict) -> str:
    """This year's 亿元楼 so far, the candidates on course, and the one nearest the threshold with
    the candidate report's verdict (its gap and what vacancy and pipeline could add)."""
    yi = data["yi"]
    if not yi["available"]:
        return ""
    parts = []
    if yi["yi_so_far"]:
        parts.append(f"{_listed([b['name'] for b in yi['yi_so_far']])}本年累计税收已达亿元楼门槛")
    candidates = yi["candidates"]
    on_course = [c for c in candidates if c["gap"] <= 0]
    short = sorted((c for c in candidates if c["gap"] > 0), key=lambda c: (c["gap"], c["code"]))
    if on_course:
        parts.append(f"准亿元楼{_listed([c['name'] for c in on_course])}按当前进度可达标")
    if short:
        nearest = short[0]
        parts.append(
            f"距亿元楼门槛最近的是{nearest['name']}（预计全年{money(nearest['projection'])}），{nearest['verdict']}"
        )
    return "；".join(parts) + "。" if parts else ""


def pipeline_sentence(data: dict) -> str:
    pipe = data["pipeline"]
    return (
        f"本月新增招商项目{pipe['new_leads']}个、签约{len(pipe['signed'])}个、入驻{pipe['landed_month']}个；"
        f"在谈项目{pipe['active_count']}个，按阶段概率加权预计年税收{money(pipe['active_weighted_tax'])}。"
    )
