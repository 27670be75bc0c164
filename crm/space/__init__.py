"""楼宇画像与载体：building profiles and photos, the stacking-plan lenses, space proposals.

Plain functions over a session, no Flask: ``profiles`` (the texts and who may edit them),
``photos`` (checking, re-encoding and storing uploaded images), ``lenses`` (what colours each
unit of a stacking plan under each lens), ``proposals`` (the 载体推荐书 a promoter sends a lead's
company, archived) and ``seed`` (profile texts of the demo buildings). The PDFs are built from
the plain data these return by ``crm/reports/profile.py`` and ``crm/reports/proposal.py``.
"""
