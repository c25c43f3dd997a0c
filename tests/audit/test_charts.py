"""The one bar geometry both daily charts use (admin dashboard, portal app page)."""

from oauth_portal.audit.charts import MIN_BAR_HEIGHT, Plot, daily_bars, nice_ceiling

PLOT = Plot(left=10, top=5, width=300, height=100)


def test_scale_rounds_the_busiest_day_up_to_a_round_number():
    busiest = (0, 1, 3, 7, 10, 11, 180, 501)
    assert [nice_ceiling(v) for v in busiest] == [1, 1, 5, 10, 10, 20, 200, 1000]


def test_a_count_becomes_the_same_bar_alone_or_stacked():
    top, bars = daily_bars([[50, 30], [80], [0]], PLOT)

    assert top == 100
    stacked, single, empty = bars
    assert stacked["height"] == single["height"] == 80
    assert stacked["y"] == single["y"] == PLOT.bottom - 80
    assert [s["height"] for s in stacked["segments"]] == [50, 30]
    assert empty["height"] == 0


def test_a_quiet_day_stays_visible_beside_a_busy_one():
    _top, bars = daily_bars([[10_000], [1]], PLOT)

    assert bars[1]["height"] == MIN_BAR_HEIGHT


def test_bars_sit_centred_in_one_slot_per_day():
    _top, bars = daily_bars([[1]] * 30, PLOT)

    assert [bar["slot_x"] for bar in bars[:3]] == [10, 20, 30]
    assert bars[0]["x"] == 11.5 and bars[0]["width"] == 7
