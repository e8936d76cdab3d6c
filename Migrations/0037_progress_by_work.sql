-- Experiment progress counts work, not jobs: a pretraining job of 100 epochs weighs more than an evaluation, so the
-- bar no longer shows 1% while the pretraining runs are half done.
--
-- Work units of a job: a pretraining job counts its epochs (at least 1); a fine-tuning evaluation 5; every other job
-- (plan, embed, a linear-probe evaluation, noop) 1. A heuristic scale, the same for every experiment: at the
-- protocol's sizes an epoch of pretraining and a linear probe take seconds each.
CREATE FUNCTION seqtwins.job_work(kind text, payload jsonb) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN kind = 'pretrain' THEN greatest(1, coalesce((payload #>> '{method,epochs}')::double precision, 1))
        WHEN kind = 'evaluate' AND payload ->> 'protocol' = 'fine_tune' THEN 5
        ELSE 1
    END
$$;

-- As in 0010, with fraction_done weighted by job_work.
CREATE OR REPLACE VIEW seqtwins.experiment_progress AS
SELECT x.id AS experiment_id,
       x.name,
       count(j.id)::integer AS jobs,
       count(j.id) FILTER (WHERE j.state = 'blocked')::integer AS blocked,
       count(j.id) FILTER (WHERE j.state = 'queued')::integer AS queued,
       count(j.id) FILTER (WHERE j.state = 'running')::integer AS running,
       count(j.id) FILTER (WHERE j.state = 'succeeded')::integer AS succeeded,
       count(j.id) FILTER (WHERE j.state = 'failed')::integer AS failed,
       count(j.id) FILTER (WHERE j.state = 'cancelled')::integer AS cancelled,
       avg(j.progress) FILTER (WHERE j.state = 'running') AS running_progress,
       CASE WHEN count(j.id) = 0 THEN 0
            ELSE (coalesce(sum(seqtwins.job_work(j.kind, j.payload))
                               FILTER (WHERE j.state IN ('succeeded', 'failed', 'cancelled')), 0)
                  + coalesce(sum(seqtwins.job_work(j.kind, j.payload) * j.progress)
                               FILTER (WHERE j.state = 'running'), 0))
                 / sum(seqtwins.job_work(j.kind, j.payload))
       END AS fraction_done,
       bool_and(j.state IN ('succeeded', 'failed', 'cancelled')) AS finished
FROM seqtwins.experiments x
LEFT JOIN seqtwins.jobs j ON j.experiment_id = x.id
GROUP BY x.id, x.name;
