-- The bundled scorecards (demo/scorecards/default.yaml and strategic.yaml) as one
-- DuckDB query, written by hand from SCORING.md, for bench/scoring_vs_duckdb.py.
--
-- Tables: accounts(id, key, segment), contacts(id, account_id, role) and
-- signals(id, account_id, metric, ts, value, contact_id), ts in seconds since
-- the epoch. $t is the as-of time in the same seconds. One row per account:
-- (id, key, card, total, coverage, grade, status), total NULL without a score.
--
-- Ties of observed_at go to the signal received last, that is the higher id,
-- as the engine reads them in (observed_at, id) order. The statements are
-- separated by a line holding only ";;" so the script can split them.

-- DuckDB's least() and greatest() skip NULLs; a missing raw value must stay NULL.
CREATE OR REPLACE MACRO clip100(x) AS
    CASE WHEN x IS NOT NULL THEN greatest(0.0, least(100.0, x)) END;
;;
CREATE OR REPLACE MACRO linear(x, lo, hi) AS clip100((x - lo) / (hi - lo) * 100.0);
;;
CREATE OR REPLACE MACRO points4(x, x0, y0, x1, y1, x2, y2, x3, y3) AS CASE
    WHEN x <= x0 THEN y0
    WHEN x >= x3 THEN y3
    WHEN x < x1 THEN y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    WHEN x < x2 THEN y1 + (y2 - y1) * (x - x1) / (x2 - x1)
    ELSE y2 + (y3 - y2) * (x - x2) / (x3 - x2)
END;
;;
CREATE OR REPLACE MACRO scores_as_of(t) AS TABLE
WITH
-- Scorecard choice: strategic applies to two segments and has the higher priority.
acct AS (
    SELECT id, key,
           CASE WHEN segment IN ('strategic', 'enterprise')
                THEN 'strategic' ELSE 'default' END AS card
    FROM accounts
),
card_values AS (
    SELECT * FROM (VALUES
        -- card, min_coverage, top weights (qbr, nps, stakeholders, engagement),
        -- nps min_count, usage window (days), usage/escalations weights,
        -- stakeholder max_share and the sponsor's weight, grade bounds
        ('strategic', 0.5, 30.0, 20.0, 25.0, 25.0, 3, 90, 2.0, 1.0, 0.4, 3.0, 70.0, 40.0),
        ('default',   0.4,  0.0, 30.0, 20.0, 50.0, 2, 60, 3.0, 1.0, 0.5, 1.0, 70.0, 45.0)
    ) AS v(card, min_coverage, w_qbr, w_nps, w_stake, w_eng, nps_min,
           usage_days, w_usage, w_esc, max_share, w_sponsor, healthy, watch)
),
-- The same numbers as floats, as the engine keeps them (VALUES makes decimals).
card AS (
    SELECT card, min_coverage::DOUBLE AS min_coverage, w_qbr::DOUBLE AS w_qbr,
           w_nps::DOUBLE AS w_nps, w_stake::DOUBLE AS w_stake, w_eng::DOUBLE AS w_eng,
           nps_min, usage_days, w_usage::DOUBLE AS w_usage, w_esc::DOUBLE AS w_esc,
           max_share::DOUBLE AS max_share, w_sponsor::DOUBLE AS w_sponsor,
           healthy::DOUBLE AS healthy, watch::DOUBLE AS watch
    FROM card_values
),
qbr AS (
    SELECT account_id, arg_max(value, (ts, id)) AS raw
    FROM signals
    WHERE metric = 'qbr_score' AND ts > t - 120 * 86400 AND ts <= t
    GROUP BY account_id
),
escalations AS (
    SELECT account_id, arg_max(value, (ts, id)) AS raw
    FROM signals
    WHERE metric = 'open_escalations' AND ts > t - 30 * 86400 AND ts <= t
    GROUP BY account_id
),
-- decayed_mean, half-life 14 days: ages from the newest signal in the window.
usage_rows AS (
    SELECT s.account_id, s.ts, s.value,
           max(s.ts) OVER (PARTITION BY s.account_id) AS newest
    FROM signals s
    JOIN acct a ON a.id = s.account_id
    JOIN card c ON c.card = a.card
    WHERE s.metric = 'weekly_active_users'
      AND s.ts > t - c.usage_days * 86400 AND s.ts <= t
),
usage AS (
    SELECT account_id,
           sum(w * value) / sum(w) AS raw
    FROM (SELECT account_id, value,
                 pow(0.5, (newest - ts) / (14 * 86400.0)) AS w
          FROM usage_rows)
    GROUP BY account_id
),
-- Each respondent's latest answer in the 180-day window; a signal without a
-- contact is a respondent of its own.
answers AS (
    SELECT account_id, metric,
           coalesce(contact_id, -id) AS respondent,
           arg_max(value, (ts, id)) AS v,
           count(*) AS signals
    FROM signals
    WHERE metric IN ('nps', 'stakeholder_rating')
      AND ts > t - 180 * 86400 AND ts <= t
    GROUP BY ALL
),
nps AS (
    SELECT account_id,
           count(*) AS respondents,
           100.0 * (count(*) FILTER (WHERE v >= 9) - count(*) FILTER (WHERE v <= 6))
               / count(*) AS raw
    FROM answers
    WHERE metric = 'nps'
    GROUP BY account_id
),
-- Stakeholder roll-up. Water-filling caps the k heaviest voices, where k is
-- the smallest number such that the next voice's share of what is left,
-- w * (1 - k * cap) / (weight of the rest), does not exceed the cap; if no
-- such k exists every voice is capped and the rest goes to the prior (3).
rated AS (
    SELECT r.account_id, r.v, r.signals, c.max_share AS cap,
           CASE ct.role
               WHEN 'executive_sponsor' THEN c.w_sponsor
               WHEN 'decision_maker' THEN 2.0
               WHEN 'champion' THEN 1.0
               ELSE 1.0
           END AS w
    FROM answers r
    JOIN acct a ON a.id = r.account_id
    JOIN card c ON c.card = a.card
    LEFT JOIN contacts ct ON ct.id = r.respondent
    WHERE r.metric = 'stakeholder_rating'
),
ranked AS (
    SELECT *,
           row_number() OVER heaviest AS j,
           sum(w) OVER (heaviest ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)
               AS rest,
           count(*) OVER (PARTITION BY account_id) AS n
    FROM rated
    WINDOW heaviest AS (PARTITION BY account_id ORDER BY w DESC, v)
),
capped AS (
    SELECT account_id,
           coalesce(min(j) FILTER (WHERE w * (1 - (j - 1) * cap) <= cap * rest),
                    max(n) + 1) - 1 AS k
    FROM ranked
    GROUP BY account_id
),
stakeholders AS (
    SELECT r.account_id,
           any_value(r.n) AS n,
           any_value(k.k) AS k,
           any_value(r.cap) AS cap,
           coalesce(sum(r.cap * r.v) FILTER (WHERE r.j <= k.k), 0.0) AS capped_part,
           sum(r.w * r.v) FILTER (WHERE r.j > k.k) AS free_wv,
           sum(r.w) FILTER (WHERE r.j > k.k) AS free_w
    FROM ranked r
    JOIN capped k USING (account_id)
    GROUP BY r.account_id
),
stake AS (
    SELECT account_id,
           CASE
               WHEN k < n THEN capped_part + (1 - k * cap) * free_wv / free_w
               WHEN n * cap >= 1.0 - 1e-12 THEN capped_part
               ELSE capped_part + (1.0 - n * cap) * 3.0
           END AS raw
    FROM stakeholders
),
criteria AS (
    SELECT a.id, a.key, a.card, c.min_coverage, c.healthy, c.watch,
           c.w_qbr, c.w_nps, c.w_stake, c.w_eng, c.w_usage, c.w_esc,
           CASE WHEN a.card = 'strategic' THEN linear(q.raw, 1, 5) END AS s_qbr,
           CASE WHEN n.respondents >= c.nps_min
                THEN linear(n.raw, -100, 100) END AS s_nps,
           linear(st.raw, 1, 5) AS s_stake,
           CASE WHEN a.card = 'strategic'
                THEN points4(u.raw, 0, 0, 5, 40, 20, 80, 50, 100)
                ELSE points4(u.raw, 0, 0, 3, 40, 10, 80, 25, 100) END AS s_usage,
           -- missing: {value: 0}, so escalations are always present
           points4(coalesce(e.raw, 0.0), 0, 100, 1, 60, 3, 20, 5, 0) AS s_esc
    FROM acct a
    JOIN card c ON c.card = a.card
    LEFT JOIN qbr q ON q.account_id = a.id
    LEFT JOIN nps n ON n.account_id = a.id
    LEFT JOIN stake st ON st.account_id = a.id
    LEFT JOIN usage u ON u.account_id = a.id
    LEFT JOIN escalations e ON e.account_id = a.id
),
engagement AS (
    SELECT *,
           clip100((coalesce(w_usage * s_usage, 0.0) + w_esc * s_esc)
                   / (CASE WHEN s_usage IS NULL THEN 0.0 ELSE w_usage END + w_esc))
               AS s_eng,
           (w_usage * (s_usage IS NOT NULL)::DOUBLE + w_esc) / (w_usage + w_esc)
               AS cov_eng
    FROM criteria
),
top AS (
    SELECT *,
           coalesce(w_qbr * s_qbr, 0.0) + coalesce(w_nps * s_nps, 0.0)
               + coalesce(w_stake * s_stake, 0.0) + w_eng * s_eng AS weighted,
           CASE WHEN s_qbr IS NULL THEN 0.0 ELSE w_qbr END
               + CASE WHEN s_nps IS NULL THEN 0.0 ELSE w_nps END
               + CASE WHEN s_stake IS NULL THEN 0.0 ELSE w_stake END
               + w_eng AS present,
           (w_qbr * (s_qbr IS NOT NULL)::DOUBLE + w_nps * (s_nps IS NOT NULL)::DOUBLE
               + w_stake * (s_stake IS NOT NULL)::DOUBLE + w_eng * cov_eng)
               / (w_qbr + w_nps + w_stake + w_eng) AS coverage
    FROM engagement
),
scored AS (
    SELECT id, key, card, coverage, healthy, watch,
           CASE WHEN coverage >= min_coverage
                THEN clip100(weighted / present) END AS total
    FROM top
)
SELECT id, key, card, total, coverage,
       CASE WHEN total IS NULL THEN ''
            WHEN total >= healthy THEN 'healthy'
            WHEN total >= watch THEN 'watch'
            ELSE 'at_risk' END AS grade,
       CASE WHEN total IS NULL THEN 'insufficient_data' ELSE 'scored' END AS status
FROM scored;
