"""预警: rules that watch taxpayers, leases, companies and buildings, and the warnings someone
handles. Plain functions over a session (no Flask): ``rules`` finds what holds today,
``evaluate`` records it exactly once and resolves what no longer holds, ``handling`` moves a
warning through its states, ``queries`` reads lists, counts and panels, ``settings`` holds the
thresholds an admin edits."""
