"""The tenants: one company per lease (a move keeps its company), named after its industry, with
a valid USCC; the big current tenants are headquarters; registration, size and tax base."""

from __future__ import annotations

from crm.demo.chance import person_name, pick_weighted, seeded, trade_name
from crm.demo.clock import Window
from crm.demo.profiles import AREA_CODES, HQ_TYPE_WEIGHTS, INDUSTRIES
from crm.demo.records import GBuilding, GCompany, GLease
from crm.services.uscc import CHARSET, check_character

HQ_PER_SCALE = 150


def draw_companies(scale: int, buildings: list[GBuilding], leases: list[GLease], window: Window) -> list[GCompany]:
    rng = seeded(scale, "companies")
    order = sorted(range(len(leases)), key=lambda i: (leases[i].start, leases[i].building, leases[i].units[0]))
    companies: list[GCompany] = []
    names: set[str] = set()
    usccs: set[str] = set()
    groups = list(INDUSTRIES)
    for i in order:
        lease = leases[i]
        if lease.follows is not None:
            lease.company = lease.follows.company
            companies[lease.company].leases.append(i)
            continue
        positioning = buildings[lease.building].positioning
        weights = [INDUSTRIES[g][0] * (3 if g in positioning else 1) for g in groups]
        group = rng.choices(groups, weights)[0]
        word, section, pattern = rng.choice(INDUSTRIES[group][2])
        for attempt in range(50):
            trade = trade_name(rng)
            if pattern == "law":
                name = f"辽宁{trade}{word}"
            elif pattern == "school":
                name = f"大连市西岗区{trade}{word}"
            elif pattern == "branch":
                name = (
                    f"{trade}{word.replace('营业部', '')}有限公司大连{'西岗营业部' if '营业部' in word else '分公司'}"
                )
            elif rng.random() < 0.12:
                name = f"{trade}（大连）{word}有限公司"
            else:
                name = f"大连{trade}{word}有限公司"
            if attempt > 20:
                name = name.replace("有限公司", f"{attempt}有限公司", 1) if "有限公司" in name else name + str(attempt)
            if name not in names:
                break
        names.add(name)
        prefix = "31" if pattern == "law" else "52" if pattern == "school" else "91"
        while True:
            body = (
                prefix
                + pick_weighted(rng, AREA_CODES)
                + "".join(rng.choice("0123456789") for _ in range(8))
                + rng.choice(CHARSET)
            )
            uscc = body + check_character(body)
            if uscc not in usccs:
                usccs.add(uscc)
                break
        phone = (
            f"0411-8{rng.randint(0, 9999999):07d}"
            if rng.random() < 0.3
            else f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"
        )
        companies.append(
            GCompany(
                name=name,
                uscc=uscc,
                section=section,
                group=group,
                registered=False,
                taxed=True,
                hq_type="none",
                employees=0,
                capital_wan=0,
                contact_name=person_name(rng),
                contact_phone=phone,
                registered_building=None,
                leases=[i],
                tax_growth=rng.gauss(0.065, 0.03),
                district_share=rng.uniform(0.30, 0.40),
            )
        )
        lease.company = len(companies) - 1

    # Headquarters: the big current tenants, most of them.
    current = [
        c
        for c, company in enumerate(companies)
        if any(
            leases[i].moved_out_on is None
            and leases[i].start <= window.last_day
            and (leases[i].end is None or leases[i].end >= window.last_day)
            for i in company.leases
        )
    ]
    keyed = sorted(
        current, key=lambda c: -max(leases[i].area_cents for i in companies[c].leases) * rng.lognormvariate(0, 0.6)
    )
    for c in keyed[: HQ_PER_SCALE * scale]:
        companies[c].hq_type = pick_weighted(rng, HQ_TYPE_WEIGHTS)

    for company in companies:
        main = leases[max(company.leases, key=lambda i: (leases[i].start, i))]
        area_m2 = main.area_cents / 100
        hq = company.hq_type != "none"
        if main.reason in ("迁出本区", "注销"):
            company.registered = False
        else:
            company.registered = hq or rng.random() < 0.86
        company.taxed = True if hq else (rng.random() < 0.97 if company.registered else rng.random() < 0.6)
        company.registered_building = main.building if company.registered else None
        company.employees = max(3, int(area_m2 / rng.uniform(7, 16) * (1.3 if hq else 1.0)))
        capital = [50, 100, 200, 300, 500, 1000, 2000, 3000, 5000]
        company.capital_wan = (
            rng.choice([5000, 10000, 20000, 30000, 50000])
            if hq
            else capital[min(len(capital) - 1, int(area_m2 / 120 * rng.uniform(0.5, 1.5)))]
        )
        rate = INDUSTRIES[company.group][1]
        company.tax_base = area_m2 * rate / 12 * rng.lognormvariate(0, 0.8) * (3.5 if hq else 1.0)
    return companies
