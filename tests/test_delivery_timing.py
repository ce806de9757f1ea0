"""A send never outlives its claim: the lease margin covers two send timeouts and clock skew."""

from __future__ import annotations

import pytest

from bot.delivery.wiring import delivery_policy, send_timeout
from bot.settings import CLOCK_SKEW_SECONDS, SettingsError, load_settings


@pytest.mark.parametrize("lease", [14, 18, 20, 30, 45, 50, 120, 300, 3600])
def test_the_margin_covers_two_send_timeouts_and_skew(lease: float) -> None:
    settings = load_settings(database_url="sqlite://", delivery_lease_seconds=lease)
    margin = delivery_policy(settings).lease_margin.total_seconds()
    timeout = send_timeout(settings)
    assert 1 <= timeout <= 10
    assert margin >= 2 * timeout + CLOCK_SKEW_SECONDS
    assert margin <= lease / 2  # half the lease is left for sending


@pytest.mark.parametrize("lease", [2, 6, 13.5])
def test_a_lease_too_short_for_its_margin_stops_start_up(lease: float) -> None:
    with pytest.raises(SettingsError, match="DEALBOT_DELIVERY_LEASE_SECONDS: at least 14 seconds"):
        load_settings(database_url="sqlite://", delivery_lease_seconds=lease)
