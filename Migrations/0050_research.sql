-- Research workflow: sweep points on runs (baselines pair at the same point), one statistics path (exact Student t
-- in SQL; the report reads these functions), verdicts with Holm-adjusted intervals, and each run's budget.
--
-- Every mean, sd, t-interval and p-value that `seqtwins report` prints comes from the views and functions below,
-- so the report and the views cannot disagree; which score is "primary" is decided here only (`primary_score`).

-- A run's sweep point as an object (`{"batch_size": 32, "lambda": 0.005}`, `{}` outside a sweep) and its method
-- label (the series without its `[...]` point; labels cannot contain `[`).
ALTER TABLE seqtwins.runs ADD COLUMN sweep jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(sweep) = 'object');
UPDATE seqtwins.runs SET sweep = jsonb_build_object(sweep_parameter, sweep_value)
WHERE sweep_parameter IS NOT NULL AND sweep_value IS NOT NULL;
ALTER TABLE seqtwins.runs ADD COLUMN label text GENERATED ALWAYS AS (split_part(series, '[', 1)) STORED;
COMMENT ON COLUMN seqtwins.runs.sweep IS
    'The sweep point: every swept parameter with its value ({} outside a sweep); baselines pair at the same point.';

-- The score of one metric: `primary` is accuracy where the task has one, else ROC-AUC (the multi-label task);
-- the others are the named column. The one place the primary rule lives.
CREATE FUNCTION seqtwins.metric_score(metric text, task text, accuracy double precision,
                                      balanced_accuracy double precision, macro_f1 double precision,
                                      roc_auc double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE metric
        WHEN 'primary' THEN seqtwins.primary_score(task, accuracy, roc_auc)
        WHEN 'accuracy' THEN accuracy
        WHEN 'balanced_accuracy' THEN balanced_accuracy
        WHEN 'macro_f1' THEN macro_f1
        WHEN 'roc_auc' THEN roc_auc
    END
$$;

-- Accuracy where the task has one (every single-label task), else macro ROC-AUC: the same rule for every task,
-- whatever its name (0010 named `future_categories`; the evaluate job leaves accuracy empty exactly there).
CREATE OR REPLACE FUNCTION seqtwins.primary_score(task text, accuracy double precision, roc_auc double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(accuracy, roc_auc)
$$;

-- Student t: P(T <= t) with integer df >= 1, exact by the finite series of Abramowitz & Stegun 26.7.3-4
-- (θ = atan(t / √df); odd df: (2/π)(θ + sin θ Σ), even df: sin θ Σ, with Σ the cos^2k θ series).
CREATE FUNCTION seqtwins.t_cdf(t double precision, df integer)
RETURNS double precision LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    theta double precision;
    c2 double precision;
    term double precision;
    total double precision;
    a double precision;
    k integer;
BEGIN
    IF df < 1 THEN RETURN NULL; END IF;
    IF t = 'Infinity' THEN RETURN 1; END IF;
    IF t = '-Infinity' THEN RETURN 0; END IF;
    theta := atan(abs(t) / sqrt(df));
    c2 := cos(theta) ^ 2;
    IF df % 2 = 1 THEN
        total := 0;
        IF df > 1 THEN
            term := cos(theta);
            total := term;
            k := 3;
            WHILE k <= df - 2 LOOP
                term := term * c2 * (k - 1) / k;
                total := total + term;
                k := k + 2;
            END LOOP;
        END IF;
        a := 2 / pi() * (theta + sin(theta) * total);
    ELSE
        term := 1;
        total := 1;
        k := 2;
        WHILE k <= df - 2 LOOP
            term := term * c2 * (k - 1) / k;
            total := total + term;
            k := k + 2;
        END LOOP;
        a := sin(theta) * total;
    END IF;
    a := least(greatest(a, 0), 1);
    RETURN CASE WHEN t >= 0 THEN (1 + a) / 2 ELSE (1 - a) / 2 END;
END
$$;

-- The Student t quantile: the t with P(T <= t) = p, for p in (0, 1) and integer df >= 1, by bisection on t_cdf
-- to a relative precision of 1e-13.
CREATE FUNCTION seqtwins.t_quantile(p double precision, df integer)
RETURNS double precision LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    low double precision := 0;
    high double precision := 1;
    middle double precision;
    i integer;
BEGIN
    IF df < 1 OR p <= 0 OR p >= 1 THEN RETURN NULL; END IF;
    IF p = 0.5 THEN RETURN 0; END IF;
    IF p < 0.5 THEN RETURN -seqtwins.t_quantile(1 - p, df); END IF;
    WHILE seqtwins.t_cdf(high, df) < p LOOP high := high * 2; END LOOP;
    FOR i IN 1..200 LOOP
        middle := (low + high) / 2;
        IF seqtwins.t_cdf(middle, df) < p THEN low := middle; ELSE high := middle; END IF;
        EXIT WHEN high - low <= 1e-13 * greatest(1, high);
    END LOOP;
    RETURN (low + high) / 2;
END
$$;

-- The two-sided 95% critical value, now exact (0010 used a 3-decimal table and a Cornish-Fisher expansion).
CREATE OR REPLACE FUNCTION seqtwins.t_critical_95(df integer) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN df IS NULL OR df < 1 THEN NULL ELSE seqtwins.t_quantile(0.975, df) END
$$;

-- Label-efficiency curves of one experiment and metric: per series, task, protocol and fraction, the mean and sd
-- over seeds. The primary score's figures are the `label_efficiency` view's own rows (0010's aggregation, kept as
-- it is so that stored results keep every digit); the other metrics are aggregated the same way.
CREATE FUNCTION seqtwins.label_efficiency_of(experiment bigint, metric text DEFAULT 'primary')
RETURNS TABLE (experiment_id bigint, method text, task text, protocol text, label_fraction double precision,
               labelled_n double precision, n integer, mean double precision, sd double precision,
               majority_accuracy double precision)
LANGUAGE sql STABLE AS $$
    SELECT l.experiment_id, l.method, l.task, l.protocol, l.label_fraction, l.labelled_n, l.n, l.mean, l.sd,
           l.majority_accuracy
    FROM seqtwins.label_efficiency l
    WHERE metric = 'primary' AND l.experiment_id = experiment AND l.n > 0
    UNION ALL
    SELECT r.experiment_id, r.series, e.task, e.protocol, e.label_fraction,
           avg(e.labelled_n)::double precision,
           count(seqtwins.metric_score(metric, e.task, e.accuracy, e.balanced_accuracy, e.macro_f1, e.roc_auc))::integer,
           avg(seqtwins.metric_score(metric, e.task, e.accuracy, e.balanced_accuracy, e.macro_f1, e.roc_auc)),
           stddev_samp(seqtwins.metric_score(metric, e.task, e.accuracy, e.balanced_accuracy, e.macro_f1, e.roc_auc)),
           avg(e.majority_accuracy)
    FROM seqtwins.eval_results e
    JOIN seqtwins.runs r ON r.id = e.run_id
    WHERE metric <> 'primary' AND r.experiment_id = experiment
    GROUP BY r.experiment_id, r.series, e.task, e.protocol, e.label_fraction
    HAVING count(seqtwins.metric_score(metric, e.task, e.accuracy, e.balanced_accuracy, e.macro_f1, e.roc_auc)) > 0
$$;

-- The paired rows of one experiment: each series against `baseline` per seed, task, protocol and fraction.
-- `baseline` is a method label or one series: a label pairs each series with the baseline's series at the same
-- sweep point (its point restricted to the parameters the baseline is swept over; an unswept baseline pairs with
-- every series); a series (`dual_encoder[batch_size=32]`) pairs every other series with exactly that one.
CREATE FUNCTION seqtwins.paired_scores(experiment bigint, baseline text, metric text DEFAULT 'primary')
RETURNS TABLE (method text, baseline_series text, seed integer, task text, protocol text,
               label_fraction double precision, method_score double precision, baseline_score double precision)
LANGUAGE sql STABLE AS $$
    WITH scored AS (
        SELECT r.series, r.label, r.sweep, r.seed, e.task, e.protocol, e.label_fraction,
               seqtwins.metric_score(metric, e.task, e.accuracy, e.balanced_accuracy, e.macro_f1, e.roc_auc) AS score
        FROM seqtwins.eval_results e JOIN seqtwins.runs r ON r.id = e.run_id
        WHERE r.experiment_id = experiment
    )
    SELECT m.series, b.series, m.seed, m.task, m.protocol, m.label_fraction, m.score, b.score
    FROM scored m
    JOIN scored b ON b.seed = m.seed AND b.task = m.task AND b.protocol = m.protocol
                 AND b.label_fraction = m.label_fraction
                 AND (b.series = baseline OR (b.label = baseline AND m.sweep @> b.sweep))
    WHERE m.series <> b.series AND m.score IS NOT NULL AND b.score IS NOT NULL
$$;

-- The gain of every series over `baseline` (see paired_scores) for one metric: per task, protocol and fraction, the
-- mean paired per-seed difference with its exact 95% t-interval, and the relative gain mean(method) / mean(baseline)
-- - 1.
CREATE FUNCTION seqtwins.method_gain_over(experiment bigint, baseline text, metric text)
RETURNS TABLE (experiment_id bigint, method text, baseline text, task text, protocol text,
               label_fraction double precision, pairs integer, mean_difference double precision,
               lower_95 double precision, upper_95 double precision, relative_gain double precision)
LANGUAGE sql STABLE AS $$
    SELECT experiment, p.method, p.baseline_series, p.task, p.protocol, p.label_fraction, count(*)::integer,
           avg(p.method_score - p.baseline_score),
           avg(p.method_score - p.baseline_score)
               - seqtwins.t_critical_95(count(*)::integer - 1) * stddev_samp(p.method_score - p.baseline_score)
                 / sqrt(count(*)),
           avg(p.method_score - p.baseline_score)
               + seqtwins.t_critical_95(count(*)::integer - 1) * stddev_samp(p.method_score - p.baseline_score)
                 / sqrt(count(*)),
           CASE WHEN avg(p.baseline_score) > 0 THEN avg(p.method_score) / avg(p.baseline_score) - 1 END
    FROM seqtwins.paired_scores(experiment, baseline, metric) p
    GROUP BY p.method, p.baseline_series, p.task, p.protocol, p.label_fraction
$$;

CREATE OR REPLACE FUNCTION seqtwins.method_gain_over(experiment bigint, baseline text)
RETURNS TABLE (experiment_id bigint, method text, baseline text, task text, protocol text,
               label_fraction double precision, pairs integer, mean_difference double precision,
               lower_95 double precision, upper_95 double precision, relative_gain double precision)
LANGUAGE sql STABLE AS $$
    SELECT * FROM seqtwins.method_gain_over(experiment, baseline, 'primary')
$$;

-- The label-fraction range of a fraction, for verdicts: `low` (≤ 5%), `mid` (over 5%, under 50%), `high` (≥ 50%).
CREATE FUNCTION seqtwins.fraction_range(fraction double precision) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN fraction <= 0.05 THEN 'low' WHEN fraction < 0.5 THEN 'mid' ELSE 'high' END
$$;

-- A share as percent points in a sentence: 0.004 → `+0.4`, -0.019 → `−1.9` (a true minus sign).
CREATE FUNCTION seqtwins.points(value double precision) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT replace(CASE WHEN round((value * 100)::numeric, 1) = 0 THEN '0.0'
                        ELSE to_char(round((value * 100)::numeric, 1), 'FMS9999990.0') END, '-', '−')
$$;

-- A fraction as a percentage for sentences: 0.05 → `5`, 0.005 → `0.5`.
CREATE FUNCTION seqtwins.percent(fraction double precision) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT trim(trailing '.' FROM trim(trailing '0' FROM round((fraction * 100)::numeric, 3)::text))
$$;

-- Verdicts of one experiment against `baseline` (see paired_scores) for one metric: per series, task, protocol and
-- label-fraction range, each seed's difference is averaged over the range's fractions, and the paired t-test runs
-- over seeds (the seed is the unit that is replicated: one pretraining per seed). p-values are Holm-adjusted over
-- every row with at least two seeds; the interval is the t-interval at level 1 − 0.05 / k with
-- k = (Holm-adjusted p, uncapped) / p, so it excludes 0 exactly when the adjusted p-value is below 0.05.
CREATE FUNCTION seqtwins.verdicts_of(experiment bigint, baseline text, metric text DEFAULT 'primary')
RETURNS TABLE (experiment_id bigint, method text, baseline text, task text, protocol text, fraction_range text,
               fractions text, seeds integer, mean_difference double precision, sd double precision,
               p_value double precision, p_holm double precision, comparisons integer,
               lower double precision, upper double precision, verdict text, sentence text)
LANGUAGE sql STABLE AS $$
    WITH per_seed AS (
        SELECT p.method, p.baseline_series, p.task, p.protocol, seqtwins.fraction_range(p.label_fraction) AS range,
               p.seed, avg(p.method_score - p.baseline_score ORDER BY p.label_fraction) AS difference,
               min(p.label_fraction) AS low_fraction, max(p.label_fraction) AS high_fraction
        FROM seqtwins.paired_scores(experiment, baseline, metric) p
        GROUP BY 1, 2, 3, 4, 5, 6
    ), pooled AS (
        SELECT s.method, s.baseline_series, s.task, s.protocol, s.range,
               min(s.low_fraction) AS low_fraction, max(s.high_fraction) AS high_fraction,
               count(*)::integer AS n, avg(s.difference ORDER BY s.seed) AS mean,
               stddev_samp(s.difference ORDER BY s.seed) AS sd
        FROM per_seed s
        GROUP BY 1, 2, 3, 4, 5
    ), tested AS (
        SELECT p.*,
               CASE WHEN p.n < 2 THEN NULL
                    WHEN p.sd = 0 THEN CASE WHEN p.mean = 0 THEN 1 ELSE 0 END
                    ELSE 2 * (1 - seqtwins.t_cdf(abs(p.mean) / (p.sd / sqrt(p.n)), p.n - 1)) END AS p_value
        FROM pooled p
    ), ranked AS (
        SELECT t.*,
               count(t.p_value) OVER () AS m,
               row_number() OVER (ORDER BY t.p_value, t.method, t.task, t.protocol, t.range) AS rank
        FROM tested t
    ), adjusted AS (
        SELECT r.*,
               CASE WHEN r.p_value IS NOT NULL THEN
                   max((r.m - r.rank + 1) * r.p_value) OVER (ORDER BY r.p_value, r.method, r.task, r.protocol, r.range
                                                             ROWS UNBOUNDED PRECEDING) END AS holm_raw
        FROM ranked r
    ), bounded AS (
        SELECT a.*,
               CASE WHEN a.p_value IS NULL THEN NULL
                    WHEN a.p_value > 0 THEN a.holm_raw / a.p_value
                    ELSE (a.m - a.rank + 1)::double precision END AS k
        FROM adjusted a
    ), intervals AS (
        SELECT b.*,
               b.mean - seqtwins.t_quantile(1 - 0.025 / b.k, b.n - 1) * b.sd / sqrt(b.n) AS lower,
               b.mean + seqtwins.t_quantile(1 - 0.025 / b.k, b.n - 1) * b.sd / sqrt(b.n) AS upper,
               CASE WHEN b.p_value IS NULL THEN 'too few seeds'
                    WHEN least(b.holm_raw, 1) < 0.05 AND b.mean > 0 THEN b.method || ' better'
                    WHEN least(b.holm_raw, 1) < 0.05 AND b.mean < 0 THEN b.baseline_series || ' better'
                    ELSE 'no difference shown' END AS verdict,
               seqtwins.percent(b.low_fraction)
                   || CASE WHEN b.high_fraction > b.low_fraction THEN '-' || seqtwins.percent(b.high_fraction) ELSE '' END
                   || '%' AS fractions
        FROM bounded b
    )
    SELECT experiment, i.method, i.baseline_series, i.task, i.protocol, i.range, i.fractions, i.n, i.mean, i.sd,
           i.p_value, least(i.holm_raw, 1), i.m::integer, i.lower, i.upper, i.verdict,
           i.method || ' − ' || i.baseline_series || ' on ' || i.task || ' (' || i.protocol || '), ' || i.fractions
               || ' labels: ' || seqtwins.points(i.mean) || ' points'
               || CASE WHEN i.lower IS NULL THEN ''
                       ELSE ' [' || seqtwins.points(i.lower) || ', ' || seqtwins.points(i.upper) || ']' END
               || ', ' || i.verdict
    FROM intervals i
    ORDER BY i.task, i.protocol, i.method,
             CASE i.range WHEN 'low' THEN 0 WHEN 'mid' THEN 1 ELSE 2 END
$$;

-- The experiment's baseline as its spec names it (default the dual encoder).
CREATE FUNCTION seqtwins.experiment_baseline(experiment bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(x.resolved_spec ->> 'baseline', x.spec ->> 'baseline', 'dual_encoder')
    FROM seqtwins.experiments x WHERE x.id = experiment
$$;

-- Verdicts of every experiment against its own baseline, on the primary score.
CREATE VIEW seqtwins.verdicts AS
SELECT v.*
FROM seqtwins.experiments x
CROSS JOIN LATERAL seqtwins.verdicts_of(x.id, seqtwins.experiment_baseline(x.id)) AS v;

-- What each run's pretraining actually did (written by the pretrain job when it finishes): optimiser steps,
-- examples seen and seconds of training; NULL for runs without a pretrain (bag_of_items) or not yet finished.
CREATE VIEW seqtwins.run_budgets AS
SELECT r.experiment_id, r.series, r.seed, r.id AS run_id,
       max(m.value) FILTER (WHERE m.name = 'budget_steps') AS steps,
       max(m.value) FILTER (WHERE m.name = 'budget_examples') AS examples,
       max(m.value) FILTER (WHERE m.name = 'budget_seconds') AS seconds
FROM seqtwins.runs r
LEFT JOIN seqtwins.metrics m ON m.run_id = r.id AND m.name IN ('budget_steps', 'budget_examples', 'budget_seconds')
GROUP BY r.experiment_id, r.series, r.seed, r.id;
