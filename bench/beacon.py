"""Beacon verification cost: what verify_beacon and the fake beacon spend per round.

    python bench/beacon.py                 # 5 repetitions
    python bench/beacon.py --repeat 20

Printed: seconds per BLS verification (a fresh input each time, so the cache never
answers), per cached re-verification, per fake-beacon key generation and per signed
fake round. The arithmetic is compiled: expect a few milliseconds per verification.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from attrs import evolve

from nictbw.adapters.beacon import FakeBeacon
from nictbw.adapters.beacon.fake import fake_key_pair
from nictbw.adapters.clock import FixedClock
from nictbw.domain.beacon import verify_beacon


def main() -> None:
    """Time each step ``--repeat`` times and print the mean seconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    repeat: int = args.repeat
    clock = FixedClock(datetime(2026, 5, 1, 9, 0, tzinfo=UTC))

    started = time.perf_counter()
    for seed in range(1000, 1000 + repeat):
        fake_key_pair(seed)
    keygen = (time.perf_counter() - started) / repeat

    beacon = FakeBeacon(clock, seed=1, period=1)
    clock.advance(timedelta(seconds=repeat))
    started = time.perf_counter()
    rounds = [beacon.get(number) for number in range(1, repeat + 1)]
    sign = (time.perf_counter() - started) / repeat

    info = beacon.info()
    started = time.perf_counter()
    for beacon_round in rounds:
        verify_beacon(info, beacon_round)
    verify = (time.perf_counter() - started) / repeat

    started = time.perf_counter()
    for beacon_round in rounds:
        verify_beacon(info, evolve(beacon_round))
    cached = (time.perf_counter() - started) / repeat

    print(f"rounds: {repeat}")
    print(f"  key pair (KeyGen + SkToPk)   {keygen * 1000:8.3f} ms")
    print(f"  fake round signed (chained)  {sign * 1000:8.3f} ms")
    print(f"  verify_beacon, fresh input   {verify * 1000:8.3f} ms")
    print(f"  verify_beacon, cached        {cached * 1000:8.3f} ms")


if __name__ == "__main__":
    main()
