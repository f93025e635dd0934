"""The simulated card gateway: test tokens, one charge per key, its own record of charges."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from domain.payment import CaptureResult, GatewayTimeout
from infra.gateway import Charge, InMemoryChargeStore, SimulatedGateway


def test_gateway_test_tokens_capture_or_decline() -> None:
    gateway = SimulatedGateway()
    assert gateway.capture("k1", "tok_visa", 100) == CaptureResult.CAPTURED
    assert gateway.capture("k2", "tok_chargeDeclined", 200) == CaptureResult.DECLINED
    assert gateway.capture("k3", "tok_unknown", 300) == CaptureResult.DECLINED
    assert gateway.charges() == [
        Charge("k1", "tok_visa", 100, CaptureResult.CAPTURED),
        Charge("k2", "tok_chargeDeclined", 200, CaptureResult.DECLINED),
        Charge("k3", "tok_unknown", 300, CaptureResult.DECLINED),
    ]


def test_gateway_repeated_key_returns_the_first_result_and_charges_nothing() -> None:
    gateway = SimulatedGateway()
    gateway.capture("k", "tok_chargeDeclined", 100)
    assert gateway.capture("k", "tok_visa", 999) == CaptureResult.DECLINED
    assert len(gateway.charges()) == 1


def test_gateway_timeout_once_times_out_first_then_answers() -> None:
    gateway = SimulatedGateway()
    with pytest.raises(GatewayTimeout):
        gateway.capture("k", "tok_timeoutOnce", 100)
    assert gateway.capture("k", "tok_timeoutOnce", 100) == CaptureResult.CAPTURED
    assert gateway.capture("k", "tok_timeoutOnce", 100) == CaptureResult.CAPTURED
    assert gateway.charges() == [Charge("k", "tok_timeoutOnce", 100, CaptureResult.CAPTURED)]


class SlowLookups(dict[str, Charge]):
    """Widens the gap between looking a key up and storing it, where a race would strike."""

    def get(self, key: str, default: Charge | None = None) -> Charge | None:  # type: ignore[override]
        found = super().get(key, default)
        time.sleep(0.0005)
        return found


def test_gateway_charge_store_keeps_one_charge_per_key_across_threads() -> None:
    # GIVEN 8 threads racing to record a charge for each of 50 keys
    store = InMemoryChargeStore()
    store._charges = SlowLookups()
    start = threading.Barrier(8)

    def record(thread: int) -> list[bool]:
        start.wait()
        return [
            store.add_if_absent(Charge(f"k{k}", "tok_visa", thread, CaptureResult.CAPTURED))[1]
            for k in range(50)
        ]

    with ThreadPoolExecutor(8) as pool:
        firsts = list(pool.map(record, range(8)))
    # THEN for every key exactly one caller was told its charge is new
    assert [sum(f[k] for f in firsts) for k in range(50)] == [1] * 50
    assert len(store.all()) == 50
