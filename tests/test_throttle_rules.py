"""The backoff of `domain.throttle` on its own: it grows, it is capped, and
only failures past the free ones wait."""

from __future__ import annotations

from collab_server.domain.throttle import ACCOUNT, ADDRESS, CLIENT, backoff, wait


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff(CLIENT, n) for n in range(4, 10)] == [0, 1, 2, 4, 8, 16]
    assert backoff(CLIENT, 40) == CLIENT.cap_s == 300
    assert backoff(ACCOUNT, 40) == backoff(ADDRESS, 400) == 60
    # Never a wall: the longest wait is five minutes, for the guesser's own client.
    assert max(b.cap_s for b in (CLIENT, ACCOUNT, ADDRESS)) <= 300


def test_wait_counts_from_the_last_failure() -> None:
    assert wait(CLIENT, 7, None) == 0
    assert wait(CLIENT, 7, 1.5) == 2.5
    assert wait(CLIENT, 7, 10) == 0
    # A failure counted by a later transaction (negative age) asks no wait of
    # its own when the bucket is not over its free failures.
    assert wait(ADDRESS, 3, -0.02) == 0
    assert wait(CLIENT, 5, -0.02) == 1


def test_a_client_known_by_its_address_waits_a_minute_at_most() -> None:
    """The room shares one address: a guesser on its wifi delays the owner on
    a new laptop by a minute at most."""
    from collab_server.domain.throttle import CLIENT, CLIENT_BY_ADDRESS, backoff

    assert backoff(CLIENT_BY_ADDRESS, 40) == 60
    assert backoff(CLIENT, 40) == 300
