"""Deterministic demo data (演示数据) for Xigang District: buildings, units, tenants, lease history,
monthly tax, confirmed snapshots, the demo logins and the investment pipeline. Imported only by
``crm demo load`` / ``crm demo logins`` (inside the commands), the tests and the benchmarks —
never on a request's path.

Generating is a pure function of (scale, as_of): ``generate`` draws plain records
(``records.py``) in steps — ``buildings.py`` (the 35 profiles of ``profiles.py`` and their units),
``leases.py`` (lease histories and moves), ``companies.py`` (the tenants), ``tax.py`` (monthly
tax, calibrated so the tiers land where the profiles say). Every random draw comes from a
``random.Random`` seeded with a string naming the scale and the part (``chance.py``), every date
is counted from ``as_of`` (``clock.py``), never the wall clock.

The figures are calibrated at scale 1 to the district plan: 35 buildings, about 1.23 million m² of
leasable office space, 70–76 % occupancy at the last month end, about 150 headquarters-type
companies, two 亿元楼 in the last complete year and a handful of 准亿元楼 in the year in progress.

Loading (``load.py``) writes that into an empty database, one step of ``load.STEPS`` after another:
buildings, units, companies, leases, tax, users (``users.py``), the confirmed months
(``confirmations.py``), the pipeline (``leads.py``, drawn against what is loaded), then the domains
that work as of a day: the 属地化 flag history and work list (``localisation.py``), the warnings
(``crm.warnings.demo``: the rules evaluated, a few handled; after 属地化, whose dated flags the
outflow rule reads) and the 楼宇画像 texts (``crm.space.seed``). That day is the demo's business
day (``clock.demo_today``): the day the app runs on (CRM_TODAY or the calendar) when it falls in
the month ``as_of``, else the 15th of that month — so the same (scale, as_of, day) gives the same
data.

**Adding demo data of a new domain**: write a module here with a step ``def step(load: DemoLoad) ->
dict[str, int]`` and append it to ``STEPS`` in ``load.py`` after the steps whose rows it reads.
Draw from a seed of its own (``chance.seeded(scale, "<domain>")``) so that every earlier step's
data stays as it is — ``tests/test_demo.py`` fingerprints the loaded tables and fails on any change.
"""

from crm.demo.generate import DemoData, generate
from crm.demo.load import STEPS, DemoLoad, load_demo
from crm.demo.profiles import NAMED_BUILDINGS
from crm.demo.users import DEMO_USERS

__all__ = ["DEMO_USERS", "NAMED_BUILDINGS", "STEPS", "DemoData", "DemoLoad", "generate", "load_demo"]
