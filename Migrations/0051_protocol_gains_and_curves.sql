-- Fine-tuning against the linear probe of the same encoder, and the `eval_every` training curves: computed here,
-- with the exact t of 0050, so that `seqtwins report` reads them like every other figure (one statistics path).

-- `fine_tune − linear_probe` per series, task and label fraction, paired by seed (the same run's encoder under both
-- protocols), for one metric (see metric_score): pairs, both means, the mean difference and its exact 95% t-interval
-- (NULL with one pair).
CREATE FUNCTION seqtwins.protocol_gain_of(experiment bigint, metric text DEFAULT 'primary')
RETURNS TABLE (method text, task text, label_fraction double precision, pairs integer,
               probe_mean double precision, fine_tune_mean double precision, mean_difference double precision,
               lower_95 double precision, upper_95 double precision)
LANGUAGE sql STABLE AS $$
    WITH scored AS (
        SELECT r.series, r.seed, e.task, e.protocol, e.label_fraction,
               seqtwins.metric_score(metric, e.task, e.accuracy, e.balanced_accuracy, e.macro_f1, e.roc_auc) AS score
        FROM seqtwins.eval_results e JOIN seqtwins.runs r ON r.id = e.run_id
        WHERE r.experiment_id = experiment
    )
    SELECT f.series, f.task, f.label_fraction, count(*)::integer, avg(p.score ORDER BY f.seed),
           avg(f.score ORDER BY f.seed), avg(f.score - p.score ORDER BY f.seed),
           avg(f.score - p.score ORDER BY f.seed)
               - seqtwins.t_critical_95(count(*)::integer - 1) * stddev_samp(f.score - p.score ORDER BY f.seed)
                 / sqrt(count(*)),
           avg(f.score - p.score ORDER BY f.seed)
               + seqtwins.t_critical_95(count(*)::integer - 1) * stddev_samp(f.score - p.score ORDER BY f.seed)
                 / sqrt(count(*))
    FROM scored f
    JOIN scored p ON p.series = f.series AND p.seed = f.seed AND p.task = f.task
                 AND p.label_fraction = f.label_fraction AND p.protocol = 'linear_probe'
    WHERE f.protocol = 'fine_tune' AND f.score IS NOT NULL AND p.score IS NOT NULL
    GROUP BY f.series, f.task, f.label_fraction
$$;

-- The `eval_every` curves: per series, probe metric (`probe_accuracy`, or `probe_roc_auc` for a multi-label first
-- task) and epoch (0: before training), the seeds with a value, their mean and sample sd (NULL for one seed).
CREATE FUNCTION seqtwins.probe_curves_of(experiment bigint)
RETURNS TABLE (method text, metric text, epoch integer, n integer, mean double precision, sd double precision)
LANGUAGE sql STABLE AS $$
    SELECT r.series, m.name, m.epoch, count(*)::integer, avg(m.value ORDER BY r.seed),
           stddev_samp(m.value ORDER BY r.seed)
    FROM seqtwins.metrics m JOIN seqtwins.runs r ON r.id = m.run_id
    WHERE r.experiment_id = experiment AND m.name IN ('probe_accuracy', 'probe_roc_auc') AND m.epoch IS NOT NULL
    GROUP BY r.series, m.name, m.epoch
$$;
