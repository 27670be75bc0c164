"""Cache benchmark: what each layer of ``crm.cache`` saves, page by page.

    python -m bench.caches --scale 10 --reuse     # reuse bench-results/demo-scale10.db

A layer is one kind of entry in the figure cache, named from its key: a fragment
(``fragment:building-panels``), a view's figures (``dashboard``, ``month_bridge``) or a module of
``@derived`` service functions (``crm.services.tax``). On the demo at ``--scale`` each page is
timed with every layer on (the fastest of ``--requests`` warm requests), with all of them off, and with
each layer the page touches switched off alone (the others warm): that layer's gain is what the
page loses without it. A layer earns its place when it saves at least a third of some page's
time at scale 10 (README "Caches").

Prints a table and writes bench-results/caches-scale{N}.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import OrderedDict
from pathlib import Path

from bench.pages import RESULTS, build_app, largest_building_code, ljust, signed_in_client

WARMUPS = 2
ALL = "*"


def layer_of(key) -> str:
    """The layer of a cache entry from its key (``(database, tokens, key)``)."""
    head = key[2][0] if isinstance(key[2], tuple) and key[2] else key[2]
    if head == "fragment":
        return f"fragment:{key[2][1]}"
    return str(head)


class Switchable(OrderedDict):
    """The figure cache's store, with layers that can be switched off (their entries are then
    neither found nor kept); notes the layers asked for."""

    def __init__(self):
        super().__init__()
        self.off: set[str] = set()
        self.asked: set[str] = set()

    def _is_off(self, key) -> bool:
        layer = layer_of(key)
        self.asked.add(layer)
        return ALL in self.off or layer in self.off

    def get(self, key, default=None):
        return default if self._is_off(key) else super().get(key, default)

    def __contains__(self, key):
        return True if self._is_off(key) else super().__contains__(key)  # "kept already": not stored


def best(client, url: str, requests: int) -> float:
    """The fastest of ``requests`` views after warm-ups: on a shared machine the least disturbed
    measure of what the page itself costs."""
    times = []
    for i in range(WARMUPS + requests):
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        if i >= WARMUPS:
            times.append(elapsed)
    return min(times)


def pages(app) -> list[tuple[str, str]]:
    code = largest_building_code(app, "leader")
    return [
        ("leader", "/"),
        ("leader", "/buildings"),
        ("leader", f"/buildings/{code}"),
        ("leader", "/companies?q=科技"),
        ("leader", "/tax"),
        ("leader", f"/buildings/{code}/tax"),
        ("leader", "/reports"),
        ("leader", "/api/v1/summary"),
        ("zhaoshang1", "/leads"),
        ("zhaoshang1", "/leads/board"),
    ]


def measure(app, requests: int) -> list[dict]:
    import crm.cache as cache

    store = Switchable()
    cache._cache = store
    clients = {}
    rows = []
    for user, url in pages(app):
        client = clients.setdefault(user, signed_in_client(app, user))
        store.off, store.asked = {ALL}, set()
        off = best(client, url, max(2, requests // 2))
        layers = sorted(store.asked)
        store.off = set()
        on = best(client, url, requests)
        row = {
            "user": user,
            "page": url.split("?")[0] if "companies" not in url else url,
            "all_on_ms": round(on, 1),
            "all_off_ms": round(off, 1),
            "layers": {},
        }
        for layer in layers:
            store.off = {layer}
            row["layers"][layer] = round(best(client, url, requests), 1)
        store.off = set()
        rows.append(row)
    return rows


def print_rows(rows: list[dict], scale: int) -> None:
    print(f"\nscale {scale}: fastest ms with every layer on / all off / one layer off (gain = off − on)\n")
    for r in rows:
        print(f"{r['user']:<10} {ljust(r['page'], 32)} on {r['all_on_ms']:>7.1f}   all off {r['all_off_ms']:>7.1f}")
        for layer, ms in r["layers"].items():
            gain = ms - r["all_on_ms"]
            share = gain / ms if ms else 0
            print(f"{'':<10} {'':<32}   without {layer:<36} {ms:>7.1f}  gain {gain:>7.1f} ({share:>4.0%})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--requests", type=int, default=7)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="crm-bench-caches-") as tmp:
        app, _ = build_app(args.scale, args.reuse, Path(tmp))  # the parts' store on disk is off
        rows = measure(app, args.requests)
    print_rows(rows, args.scale)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"caches-scale{args.scale}.json"
    out.write_text(
        json.dumps({"scale": args.scale, "requests": args.requests, "pages": rows}, ensure_ascii=False, indent=2)
    )
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
