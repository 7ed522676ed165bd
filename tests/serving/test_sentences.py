"""Driver sentences pinned by literal strings worked out by hand (never by the code under test)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from serving.sentences import (
    driver_sentence,
    driver_sentences,
    feature_label,
    reason_sentences,
    reason_sentences_for,
    sentence_key,
    sentences_for,
    shown,
    stated_column,
)

NAN = float("nan")


def words(feature: str, **columns) -> list[str]:
    """The sentences for ``feature`` over rows given column by column."""
    return list(driver_sentences(feature, pd.DataFrame(columns)))


def test_a_fall_a_rise_a_hold_and_a_first_month_of_usage():
    assert words(
        "events_30d", events_30d=[19, 30, 7, 5, 1234], events_prev_30d=[42, 20, 7, 0, 2000]
    ) == [
        "Product usage (events) fell from 42 to 19 over the last 30 days (-55%)",
        "Product usage (events) rose from 20 to 30 over the last 30 days (+50%)",
        "Product usage (events) held at 7 over the last 30 days",
        "Product usage (events) rose from 0 to 5 over the last 30 days",
        "Product usage (events) fell from 2,000 to 1,234 over the last 30 days (-38%)",
    ]


def test_change_sentences_are_shared_by_the_pair_and_name_their_window():
    frame = pd.DataFrame({"active_users_30d": [19.0], "active_users_prev_30d": [42.0]})
    expected = "Active users fell from 42 to 19 over the last 30 days (-55%)"
    assert list(driver_sentences("active_users_prev_30d", frame)) == [expected]
    assert list(
        driver_sentences("active_users_change_30d", frame.assign(active_users_change_30d=-0.55))
    ) == [expected]
    assert words("tickets_90d", tickets_90d=[6], tickets_prev_90d=[2]) == [
        "Support tickets rose from 2 to 6 over the last 90 days (+200%)"
    ]


def test_a_change_without_the_earlier_window_states_the_number_alone():
    frame = pd.DataFrame({"events_30d": [5.0]})  # no events_prev_30d column at all
    assert list(driver_sentences("events_30d", frame)) == [
        "Product usage (events): 5 in the last 30 days"
    ]
    assert words("events_30d", events_30d=[5.0], events_prev_30d=[NAN]) == [
        "Product usage (events): 5 in the last 30 days"
    ]


def test_days_since_and_their_missing_wording():
    assert words("days_since_last_event", days_since_last_event=[12.0, NAN, 1500.0]) == [
        "Last product activity 12 days ago",
        "No product activity on record",
        "Last product activity 1,500 days ago",
    ]
    assert words("days_since_last_ticket", days_since_last_ticket=[NAN, 3.0]) == [
        "No support ticket on record",
        "Last support ticket 3 days ago",
    ]


def test_plain_templates_with_their_formats():
    assert words("active_days_30d", active_days_30d=[7.0]) == ["Active on 7 of the last 30 days"]
    assert words("catalogue_share_90d", catalogue_share_90d=[0.25]) == [
        "Uses 25% of the product's features"
    ]
    assert words("mrr", mrr=[1500.0]) == ["Pays 1,500 a month"]
    assert words("tenure_days", tenure_days=[365.0]) == ["Customer for 12 months"]
    assert words("events_per_user_day_30d", events_per_user_day_30d=[3.25]) == [
        "Each active user made 3.2 product events a day on the days they used it (last 30 days)"
    ]
    # a flag is worded by the score it is read from, so it is true whichever way it is offered
    assert words("is_detractor", is_detractor=[1.0], latest_nps=[3.0]) == [
        "Latest NPS score is 3 out of 10"
    ]
    assert words("is_promoter", is_promoter=[0.0], latest_nps=[7.0]) == [
        "Latest NPS score is 7 out of 10"
    ]
    assert words("open_tickets", open_tickets=[3.0, 1.0, 0.0]) == [
        "3 open support tickets",
        "1 open support ticket",
        "0 open support tickets",
    ]
    assert words("nps_change", nps_change=[-4.0]) == [
        "NPS moved -4 points since the previous survey"
    ]


def test_sentiment_reads_negative_neutral_or_positive_with_a_neutral_band():
    assert words(
        "comment_sentiment_mean_90d", comment_sentiment_mean_90d=[-0.3, -0.05, 0.0, 0.05, 0.5]
    ) == [
        "Survey comments read negative over 90 days (sentiment -0.30 on -1..1)",
        "Survey comments read neutral over 90 days (sentiment -0.05 on -1..1)",
        "Survey comments read neutral over 90 days (sentiment +0.00 on -1..1)",
        "Survey comments read neutral over 90 days (sentiment +0.05 on -1..1)",
        "Survey comments read positive over 90 days (sentiment +0.50 on -1..1)",
    ]
    assert words("ticket_sentiment_mean_90d", ticket_sentiment_mean_90d=[-0.43, 0.2]) == [
        "Support tickets read negative over 90 days (sentiment -0.43 on -1..1)",
        "Support tickets read positive over 90 days (sentiment +0.20 on -1..1)",
    ]


def test_usage_slope_falling_and_rising():
    assert words("usage_slope_12w", usage_slope_12w=[-0.08, 0.03]) == [
        "Weekly usage is falling over the last 12 weeks (-8% of the average per week)",
        "Weekly usage is rising over the last 12 weeks (+3% of the average per week)",
    ]


def test_weekly_active_users_falling_and_rising():
    assert words("active_users_slope_12w", active_users_slope_12w=[-0.07, 0.02]) == [
        "Weekly active users are falling over the last 12 weeks (-7% of the average per week)",
        "Weekly active users are rising over the last 12 weeks (+2% of the average per week)",
    ]


def test_price_rise_fall_unchanged_and_first_term():
    assert words("mrr_change_pct", mrr_change_pct=[0.1, -0.2, 0.0, NAN]) == [
        "Price rose 10% at the last renewal",
        "Price fell 20% at the last renewal",
        "Price was unchanged at the last renewal",
        "First term: no earlier price to compare with",
    ]


def test_term_length_in_months_with_monthly_below_45_days():
    assert words("term_length_days", term_length_days=[365.0, 30.0, 44.0, 45.0]) == [
        "On a 12-month term",
        "On a monthly term",
        "On a monthly term",
        "On a 1-month term",
    ]


def test_attributes_without_a_template_read_label_colon_value():
    assert words("plan", plan=["starter", "pro"]) == ["Plan: starter", "Plan: pro"]
    assert words("seats", seats=[40.0, 2.5, 1234.0]) == ["Seats: 40", "Seats: 2.50", "Seats: 1,234"]


def test_missing_values_and_missing_columns_are_said_plainly():
    assert words("active_days_30d", active_days_30d=[NAN]) == [
        "Days with any activity in the last 30 days: none on record"
    ]
    frame = pd.DataFrame({"mrr": [10.0, 20.0]})
    assert (
        list(driver_sentences("open_tickets", frame)) == ["Tickets still open: not in the data"] * 2
    )
    assert feature_label("tickets_30d") == "Support tickets in the last 30 days"
    assert feature_label("contract_owner") == "Contract owner"


def test_sentences_for_picks_each_rows_feature_and_leaves_none_empty():
    frame = pd.DataFrame(
        {"active_days_30d": [7.0, 3.0, 9.0], "mrr": [1500.0, 900.0, 20.0], "seats": [1.0, 2.0, 3.0]}
    )
    chosen = np.array(["active_days_30d", None, "mrr"], dtype=object)
    assert list(sentences_for(chosen, frame)) == [
        "Active on 7 of the last 30 days",
        None,
        "Pays 20 a month",
    ]


@pytest.mark.parametrize(
    ("feature", "value", "expected"),
    [
        ("open_tickets", 4.0, "4 open support tickets"),
        ("escalations_90d", 2.0, "2 escalated tickets in 90 days"),
        ("mean_resolution_days_90d", 2.25, "Tickets took 2.2 days to resolve on average"),
        ("high_priority_share_90d", 0.5, "50% of tickets in 90 days were high priority"),
        ("seat_utilisation_30d", 0.4, "40% of licensed seats were active in the last 30 days"),
        ("features_dropped_30d", 2.0, "Stopped using 2 product features in the last 30 days"),
        (
            "top_users_gone_share_30d",
            0.5,
            "50% of its most active users (31-180 days ago) were not active in the last 30 days",
        ),
        (
            "days_since_top_users_active",
            45.0,
            "Its most active users (31-180 days ago) were last active 45 days ago on average",
        ),
        (
            "events_per_user_day_30d",
            12.25,
            "Each active user made 12.2 product events a day on the days they used it (last 30 days)",
        ),
        (
            "ces_mean_90d",
            3.5,
            "Customer effort (CES) in the last 90 days: 3.5 out of 7 (higher = easier)",
        ),
        (
            "ticket_csat_mean_90d",
            3.25,
            "Resolved support tickets were rated 3.2 out of 5 on average (90 days)",
        ),
        ("csat_mean_90d", 4.0, "Average CSAT in surveys in the last 90 days: 4.0 out of 5"),
        ("mrr_change_12m", 0.3, "Price moved +30% against 12 months before"),
        ("tickets_per_seat_90d", 0.5, "0.50 support tickets per licensed seat in the last 90 days"),
        (
            "negative_ticket_share_90d",
            0.25,
            "25% of support tickets in the last 90 days read negative",
        ),
        ("negative_tickets_90d", 1.0, "1 support ticket read negative in the last 90 days"),
        ("negative_tickets_30d", 1.0, "1 support ticket read negative in the last 30 days"),
        ("negative_tickets_30d", 4.0, "4 support tickets read negative in the last 30 days"),
        (
            "tickets_vs_usual_90d",
            2.5,
            "Support tickets in the last 90 days ran at 2.5 times the account's own rate of days"
            " 91-365",
        ),
        (
            "resolution_days_change_90d",
            2.25,
            "Time to resolve a ticket moved +2.2 days against days 91-365",
        ),
        ("escalated_share_90d", 0.25, "25% of tickets in 90 days were escalated"),
        ("negative_tickets_90d", 3.0, "3 support tickets read negative in the last 90 days"),
        ("negative_comments_90d", 2.0, "2 negative survey comments in the last 90 days"),
        (
            "ticket_sentiment_change_90d",
            -0.25,
            "Sentiment of support tickets moved -0.25 against the 90 days before",
        ),
        ("days_to_term_end", 30.0, "Renewal is due in 30 days"),
    ],
)
def test_one_accounts_sentence(feature, value, expected):
    assert driver_sentence(feature, pd.Series({feature: value, "mrr": 100.0})) == expected


def test_sentences_keep_the_frames_own_row_labels():
    frame = pd.DataFrame(
        {
            "events_30d": [19.0, 3.0],
            "events_prev_30d": [42.0, 1.0],
            "days_since_last_event": [NAN, 4.0],
        },
        index=[7, 3],
    )
    out = driver_sentences("events_30d", frame)
    assert list(out.index) == [7, 3]
    assert list(out) == [
        "Product usage (events) fell from 42 to 19 over the last 30 days (-55%)",
        "Product usage (events) rose from 1 to 3 over the last 30 days (+200%)",
    ]
    assert list(driver_sentences("days_since_last_event", frame)) == [
        "No product activity on record",
        "Last product activity 4 days ago",
    ]
    missing = driver_sentences("tickets_90d", frame)
    assert list(missing.index) == [7, 3]
    assert list(driver_sentences("events_30d", frame.drop(columns="events_prev_30d"))) == [
        "Product usage (events): 19 in the last 30 days",
        "Product usage (events): 3 in the last 30 days",
    ]


def test_a_missing_companion_value_reads_as_a_dash_and_text_numbers_are_read():
    # is_detractor's sentence shows latest_nps; without that column the number is a dash.
    assert words("is_detractor", is_detractor=[1.0]) == ["Latest NPS score is - out of 10"]
    assert words("active_days_30d", active_days_30d=["7", "n/a"]) == [
        "Active on 7 of the last 30 days",
        "Active on - of the last 30 days",
    ]


def test_per_type_usage_sentences_word_for_word():
    # before = round(now / (1 + change)): 3 / (3/41) = 41; 12 / 1.5 = 8; 1234 / 2 = 617.
    frame = pd.DataFrame(
        {
            "type_report_build_30d": [3.0, 12.0, 5.0, 0.0, 4.0, 1234.0],
            "type_report_build_change_30d": [3 / 41 - 1, 0.5, 0.0, None, None, 1.0],
            "type_report_build_per_user_30d": [1.5, 2.0, 0.25, 0.0, 4.0, 100.0],
            "type_report_build_share_30d": [0.25, 0.5, 0.1, 0.0, 1.0, 0.333],
        }
    )
    counts = [
        "Used report build 3 times in 30 days, down from 41",
        "Used report build 12 times in 30 days, up from 8",
        "Used report build 5 times in 30 days",  # no change: no trend
        "Did not use report build in the last 60 days",
        "Used report build 4 times in 30 days, none in the 30 days before",
        "Used report build 1,234 times in 30 days, up from 617",
    ]
    assert driver_sentences("type_report_build_30d", frame).tolist() == counts
    per_user = [" (1.5 per active user)", " (2.0 per active user)", " (0.2 per active user)"]
    per_user += [" (0.0 per active user)", " (4.0 per active user)", " (100.0 per active user)"]
    assert driver_sentences("type_report_build_per_user_30d", frame).tolist() == [
        c + p for c, p in zip(counts, per_user, strict=True)
    ]
    shares = [" (25% of its events)", " (50% of its events)", " (10% of its events)"]
    shares += [" (0% of its events)", " (100% of its events)", " (33% of its events)"]
    assert driver_sentences("type_report_build_share_30d", frame).tolist() == [
        c + s for c, s in zip(counts, shares, strict=True)
    ]


def reasons(feature: str, reference: list[float], risk: bool = True, **columns) -> list[str]:
    frame = pd.DataFrame(columns)
    return list(reason_sentences(feature, frame, np.array(reference), risk))


def test_a_reason_names_the_reference_it_is_weighed_against():
    assert reasons("active_days_30d", [21.0], active_days_30d=[7.0]) == [
        "Active on 7 of the last 30 days; accounts like it that stayed: 21"
    ]
    assert reasons("seat_utilisation_30d", [0.8], seat_utilisation_30d=[0.45]) == [
        "45% of licensed seats were active in the last 30 days; accounts like it that stayed: 80%"
    ]
    assert reasons("open_tickets", [0.0], open_tickets=[3.0]) == [
        "3 open support tickets; accounts like it that stayed: 0"
    ]
    assert reasons("days_since_last_event", [1.0, 3.0], days_since_last_event=[12.0, 9.0]) == [
        "Last product activity 12 days ago; accounts like it that stayed: 1 day ago",
        "Last product activity 9 days ago; accounts like it that stayed: 3 days ago",
    ]
    assert reasons("is_detractor", [8.0], is_detractor=[1.0], latest_nps=[5.0]) == [
        "Latest NPS score is 5 out of 10; accounts like it that stayed: 8"
    ]
    assert reasons("mrr_change_pct", [0.0], mrr_change_pct=[0.25]) == [
        "Price rose 25% at the last renewal; accounts like it that stayed: +0%"
    ]
    # no reference (a model packaged without one): the sentence alone
    assert reasons("active_days_30d", [NAN], active_days_30d=[7.0]) == [
        "Active on 7 of the last 30 days"
    ]


def test_a_risk_that_improved_says_it_is_still_on_the_worse_side():
    # the level and the change of a window are weighed against their own references
    assert reasons(
        "events_30d", [480.0, 480.0], events_30d=[55.0, 19.0], events_prev_30d=[45.0, 42.0]
    ) == [
        "Product usage (events) rose from 45 to 55 over the last 30 days (+22%); "
        "still below accounts like it that stayed: 480",
        "Product usage (events) fell from 42 to 19 over the last 30 days (-55%); "
        "accounts like it that stayed: 480",
    ]
    assert reasons(
        "active_users_change_30d",
        [0.3],
        active_users_change_30d=[0.1],
        active_users_30d=[11.0],
        active_users_prev_30d=[10.0],
    ) == [
        "Active users rose from 10 to 11 over the last 30 days (+10%); "
        "still below accounts like it that stayed: +30%"
    ]
    # more tickets is worse: a fall is the improvement
    assert reasons("tickets_90d", [2.0], tickets_90d=[8.0], tickets_prev_90d=[10.0]) == [
        "Support tickets fell from 10 to 8 over the last 90 days (-20%); "
        "still above accounts like it that stayed: 2"
    ]
    assert reasons("usage_slope_12w", [0.05], usage_slope_12w=[0.01]) == [
        "Weekly usage is rising over the last 12 weeks (+1% of the average per week); "
        "still below accounts like it that stayed: +5%"
    ]


def test_a_protective_reason_that_worsened_says_it_is_still_on_the_better_side():
    assert reasons(
        "active_users_30d",
        [12.0],
        risk=False,
        active_users_30d=[30.0],
        active_users_prev_30d=[40.0],
    ) == [
        "Active users fell from 40 to 30 over the last 30 days (-25%); "
        "still above accounts like it that stayed: 12"
    ]
    assert reasons("latest_nps", [8.0], risk=False, latest_nps=[10.0]) == [
        "Latest NPS score is 10 out of 10; accounts like it that stayed: 8"
    ]


def test_worded_sentences_keep_the_frames_own_row_labels():
    def labelled(feature: str, **columns) -> list[str]:
        out = driver_sentences(feature, pd.DataFrame(columns, index=[7, 3]))
        assert list(out.index) == [7, 3]
        return list(out)

    assert labelled("open_tickets", open_tickets=[1.0, 2.0]) == [
        "1 open support ticket",
        "2 open support tickets",
    ]
    assert labelled("mrr_change_pct", mrr_change_pct=[0.1, -0.2]) == [
        "Price rose 10% at the last renewal",
        "Price fell 20% at the last renewal",
    ]
    # a slope the sentence writes as 0% (exactly 0, or under half a percent either way) is flat
    assert labelled("usage_slope_12w", usage_slope_12w=[-0.08, 0.0]) == [
        "Weekly usage is falling over the last 12 weeks (-8% of the average per week)",
        "Weekly usage is flat over the last 12 weeks (+0% of the average per week)",
    ]
    assert labelled("usage_slope_12w", usage_slope_12w=[0.004, -0.004]) == [
        "Weekly usage is flat over the last 12 weeks (+0% of the average per week)",
        "Weekly usage is flat over the last 12 weeks (-0% of the average per week)",
    ]
    assert labelled("usage_slope_12w", usage_slope_12w=[0.006, -0.006]) == [
        "Weekly usage is rising over the last 12 weeks (+1% of the average per week)",
        "Weekly usage is falling over the last 12 weeks (-1% of the average per week)",
    ]
    assert labelled("ticket_sentiment_mean_90d", ticket_sentiment_mean_90d=[-0.3, 0.5]) == [
        "Support tickets read negative over 90 days (sentiment -0.30 on -1..1)",
        "Support tickets read positive over 90 days (sentiment +0.50 on -1..1)",
    ]
    assert labelled("active_users_slope_12w", active_users_slope_12w=[0.0, -0.07]) == [
        "Weekly active users are flat over the last 12 weeks (+0% of the average per week)",
        "Weekly active users are falling over the last 12 weeks (-7% of the average per week)",
    ]
    assert labelled(
        "type_report_build_30d",
        type_report_build_30d=[3.0, 12.0],
        type_report_build_change_30d=[3 / 41 - 1, 0.5],
    ) == [
        "Used report build 3 times in 30 days, down from 41",
        "Used report build 12 times in 30 days, up from 8",
    ]


def test_sentences_on_their_edges():
    # 730 / 30.4 = 24.01 months (a 31.4-day month would read 23)
    assert words("term_length_days", term_length_days=[730.0]) == ["On a 24-month term"]
    # one use this window and none known before it
    assert words(
        "type_report_build_30d", type_report_build_30d=[1.0], type_report_build_change_30d=[NAN]
    ) == ["Used report build 1 times in 30 days, none in the 30 days before"]
    # a template without a singular form keeps its wording at 1
    assert words("active_days_30d", active_days_30d=[1.0]) == ["Active on 1 of the last 30 days"]


def test_reasons_keep_the_frames_own_row_labels():
    frame = pd.DataFrame(
        {"events_30d": [55.0, 19.0], "events_prev_30d": [45.0, 42.0]}, index=[7, 3]
    )
    out = reason_sentences("events_30d", frame, np.array([480.0, 480.0]), True)
    assert list(out.index) == [7, 3]
    assert list(out) == [
        "Product usage (events) rose from 45 to 55 over the last 30 days (+22%); "
        "still below accounts like it that stayed: 480",
        "Product usage (events) fell from 42 to 19 over the last 30 days (-55%); "
        "accounts like it that stayed: 480",
    ]
    days = pd.DataFrame({"days_since_last_event": [12.0, 9.0]}, index=[7, 3])
    assert list(reason_sentences("days_since_last_event", days, np.array([1.0, 3.0]), True)) == [
        "Last product activity 12 days ago; accounts like it that stayed: 1 day ago",
        "Last product activity 9 days ago; accounts like it that stayed: 3 days ago",
    ]


def test_each_kind_of_reference_is_written_like_its_value():
    # the mood's two decimals, signed
    assert reasons("comment_sentiment_mean_90d", [0.1], comment_sentiment_mean_90d=[-0.3]) == [
        "Survey comments read negative over 90 days (sentiment -0.30 on -1..1); "
        "accounts like it that stayed: +0.10"
    ]
    # a catalogue entry without a sentence, and a per-type column (no entry): two decimals
    label = "Days since first use of the core features (average over those used)"
    assert reasons("days_since_core_adoption", [30.0], days_since_core_adoption=[12.0]) == [
        f"{label}: 12; accounts like it that stayed: 30.00"
    ]
    assert reasons(
        "type_report_build_30d",
        [8.0],
        type_report_build_30d=[3.0],
        type_report_build_change_30d=[3 / 41 - 1],
    ) == ["Used report build 3 times in 30 days, down from 41; accounts like it that stayed: 8.00"]
    # a scaled value: 730 days are 24 months (730 / 30.4 = 24.01)
    assert reasons("tenure_days", [730.0], tenure_days=[365.0]) == [
        "Customer for 12 months; accounts like it that stayed: 24"
    ]


def test_a_price_fall_and_an_nps_rise_are_improvements_still_on_the_worse_side():
    # a higher price is worse: a 10% fall is the improvement, still above the reference's -30%
    assert reasons("mrr_change_pct", [-0.3], mrr_change_pct=[-0.1]) == [
        "Price fell 10% at the last renewal; still above accounts like it that stayed: -30%"
    ]
    assert reasons("active_users_slope_12w", [0.05], active_users_slope_12w=[0.01]) == [
        "Weekly active users are rising over the last 12 weeks (+1% of the average per week); "
        "still below accounts like it that stayed: +5%"
    ]
    assert reasons("nps_change", [2.0], nps_change=[1.0]) == [
        "NPS moved +1 points since the previous survey; still below accounts like it that "
        "stayed: +2"
    ]


def test_reason_sentences_for_picks_each_rows_feature_and_reference():
    frame = pd.DataFrame(
        {
            "active_days_30d": [7.0, 3.0, 9.0, 25.0],
            "events_30d": [1.0, 1.0, 55.0, 1.0],
            "events_prev_30d": [1.0, 1.0, 45.0, 1.0],
        }
    )
    chosen = np.array(["active_days_30d", None, "events_30d", "active_days_30d"], dtype=object)
    out = reason_sentences_for(chosen, frame, np.array([21.0, NAN, 480.0, NAN]), True)
    assert list(out) == [
        "Active on 7 of the last 30 days; accounts like it that stayed: 21",
        None,
        "Product usage (events) rose from 45 to 55 over the last 30 days (+22%); "
        "still below accounts like it that stayed: 480",
        "Active on 25 of the last 30 days",
    ]
    # a protective reason: the same rise is not against it
    out = reason_sentences_for(chosen[2:3], frame.iloc[2:3], np.array([40.0]), False)
    assert list(out) == [
        "Product usage (events) rose from 45 to 55 over the last 30 days (+22%); "
        "accounts like it that stayed: 40"
    ]


def test_which_column_a_sentence_states_and_which_fact_it_tells():
    assert stated_column("is_detractor") == "latest_nps"
    assert stated_column("active_days_30d") == "active_days_30d"
    assert stated_column("events_prev_30d") == "events_prev_30d"
    assert stated_column("type_report_build_30d") == "type_report_build_30d"
    # the pair and the change of a window tell one fact, a flag the score it is read from
    assert sentence_key("active_users_change_30d") == "active_users_30d"
    assert sentence_key("active_users_prev_30d") == "active_users_30d"
    assert sentence_key("is_promoter") == "latest_nps"
    assert sentence_key("active_days_30d") == "active_days_30d"
    assert sentence_key("type_report_build_30d") == "type_report_build_30d"


def test_values_rounded_as_their_sentences_write_them():
    # ',.1f': one decimal
    assert list(shown("events_per_user_day_30d", np.array([3.26, 3.24]))) == [3.3, 3.2]
    # '.0%': in percent, no decimals (0.9 is 90, where 101 per unit would read 91)
    assert list(shown("seat_utilisation_30d", np.array([0.456, 0.9]))) == [46.0, 90.0]
    # scaled: 365 days are 12 months (365 / 30.4 = 12.007)
    assert list(shown("tenure_days", np.array([365.0]))) == [12.0]
    # a window's level (',.0f') and its change ('+.0%'), a count of days, the mood (two decimals)
    assert list(shown("events_30d", np.array([12.6]))) == [13.0]
    assert list(shown("events_change_30d", np.array([0.123]))) == [12.0]
    assert list(shown("days_since_last_event", np.array([3.4]))) == [3.0]
    assert list(shown("ticket_sentiment_mean_90d", np.array([0.123]))) == [0.12]
    # a flag is rounded like the score it states; no sentence or no entry: two decimals
    assert list(shown("is_detractor", np.array([6.6]))) == [7.0]
    assert list(shown("days_since_core_adoption", np.array([1.234]))) == [1.23]
    assert list(shown("type_report_build_30d", np.array([1.236]))) == [1.24]
