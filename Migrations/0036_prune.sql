-- Retention: removes finished jobs that nothing needs any more, keeping every experiment's results (runs,
-- metrics, checkpoints, embeddings, evaluations: their job references become NULL).
--
-- A job is removed when it finished (succeeded, failed or cancelled) before `finished_before` and either belongs
-- to no experiment, or belongs to an experiment none of whose jobs is still blocked, queued or running (removing
-- a finished parent of a live experiment would let a re-plan run it again). Returns the number of jobs removed, or
-- with `dry_run` the number that would be.
CREATE FUNCTION seqtwins.prune_jobs(finished_before timestamptz, dry_run boolean DEFAULT false) RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    removed bigint;
BEGIN
    IF finished_before IS NULL OR finished_before > now() THEN
        RAISE EXCEPTION 'prune_jobs: finished_before must be a time in the past, got %', finished_before
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF dry_run THEN
        SELECT count(*) INTO removed FROM seqtwins.jobs j
        WHERE j.state IN ('succeeded', 'failed', 'cancelled') AND j.finished_at < finished_before
          AND (j.experiment_id IS NULL OR NOT EXISTS (
                SELECT 1 FROM seqtwins.jobs live WHERE live.experiment_id = j.experiment_id
                  AND live.state IN ('blocked', 'queued', 'running')));
        RETURN removed;
    END IF;
    DELETE FROM seqtwins.jobs j
    WHERE j.state IN ('succeeded', 'failed', 'cancelled') AND j.finished_at < finished_before
      AND (j.experiment_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM seqtwins.jobs live WHERE live.experiment_id = j.experiment_id
              AND live.state IN ('blocked', 'queued', 'running')));
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END
$$;
