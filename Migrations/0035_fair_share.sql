-- Sharing one cluster between people: experiments of equal priority get a fair share of the workers, and a kind
-- can be capped cluster-wide (at most N pretrain jobs at once, say).
--
-- Claim order (replacing 0002's "job priority, then age"; the lease check of 0030 stays):
--   1. the experiment's priority (experiments.priority; 0 for jobs outside experiments), higher first;
--   2. fewest running jobs first among those experiments (jobs outside experiments form one group of their own),
--      then the experiment whose job was claimed least recently, so each claim goes to the experiment that has
--      least of the workers, round-robin between equals;
--   3. within the chosen experiment, job priority (the planner's stage order), then the job ready longest.
-- A 1,000-job sweep enqueued first therefore no longer starves a colleague's 10-job experiment behind it.

ALTER TABLE seqtwins.experiments ADD COLUMN last_claimed_at timestamptz;
COMMENT ON COLUMN seqtwins.experiments.last_claimed_at IS
    'When a worker last claimed one of its jobs: among equally served experiments the one waiting longest goes next.';

ALTER TABLE seqtwins.job_kinds ADD COLUMN max_running integer CHECK (max_running IS NULL OR max_running >= 0);
COMMENT ON COLUMN seqtwins.job_kinds.max_running IS
    'Cluster-wide cap on running jobs of this kind (NULL: no cap). Set with seqtwins.set_kind_limit.';

-- The distinct experiments with queued jobs are found with one index probe each (a skip scan), and each
-- experiment's best ready job with one more.
CREATE INDEX jobs_queued_experiment_idx ON seqtwins.jobs (experiment_id, priority DESC, run_after, id)
    WHERE state = 'queued';
CREATE INDEX jobs_running_experiment_idx ON seqtwins.jobs (experiment_id) WHERE state = 'running';
CREATE INDEX jobs_running_kind_idx ON seqtwins.jobs (kind) WHERE state = 'running';

-- The groups that have queued jobs, best first: (experiment or NULL, its priority, running jobs). `extra` counts
-- jobs already picked in this claim, by experiment.
CREATE FUNCTION seqtwins.claim_groups(extra bigint[] DEFAULT '{}')
RETURNS TABLE (experiment_id bigint, experiment_priority integer, running bigint)
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE grp (e) AS (
        SELECT min(j.experiment_id) FROM seqtwins.jobs j WHERE j.state = 'queued'
        UNION ALL
        SELECT (SELECT min(j.experiment_id) FROM seqtwins.jobs j WHERE j.state = 'queued' AND j.experiment_id > grp.e)
        FROM grp WHERE grp.e IS NOT NULL
    ),
    groups (e) AS (
        SELECT e FROM grp WHERE e IS NOT NULL
        UNION ALL
        SELECT NULL::bigint WHERE EXISTS (SELECT 1 FROM seqtwins.jobs j WHERE j.state = 'queued' AND j.experiment_id IS NULL)
    )
    SELECT g.e, coalesce(x.priority, 0),
           CASE WHEN g.e IS NULL
                THEN (SELECT count(*) FROM seqtwins.jobs r WHERE r.state = 'running' AND r.experiment_id IS NULL)
                ELSE (SELECT count(*) FROM seqtwins.jobs r WHERE r.state = 'running' AND r.experiment_id = g.e)
           END
           + (SELECT count(*) FROM unnest(extra) AS p WHERE p IS NOT DISTINCT FROM g.e)
    FROM groups g LEFT JOIN seqtwins.experiments x ON x.id = g.e
    ORDER BY 2 DESC, 3, x.last_claimed_at NULLS FIRST, g.e NULLS FIRST
$$;

-- Claims up to `max_jobs` ready jobs for `worker` in the order above, skipping rows other workers hold and kinds at
-- their cap. Each claim counts an attempt and issues a fresh lease token valid for `lease_seconds`.
CREATE OR REPLACE FUNCTION seqtwins.claim(
    worker text,
    lease_seconds double precision,
    kinds text[] DEFAULT NULL,
    max_jobs integer DEFAULT 1
) RETURNS SETOF seqtwins.jobs LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    picked bigint[] := '{}';
    picked_groups bigint[] := '{}';
    full_kinds text[] := '{}';
    capped boolean;
    grp record;
    found_ids bigint[];
    wanted integer;
BEGIN
    PERFORM seqtwins.check_lease_seconds(lease_seconds);
    IF max_jobs IS NULL OR max_jobs < 1 THEN
        RETURN;
    END IF;
    -- Capped kinds: lock their rows so that concurrent claims of them queue up here and a cap is never overshot.
    SELECT EXISTS (SELECT 1 FROM seqtwins.job_kinds k WHERE k.max_running IS NOT NULL) INTO capped;
    IF capped THEN
        PERFORM 1 FROM seqtwins.job_kinds k
        WHERE k.max_running IS NOT NULL AND (kinds IS NULL OR k.name = ANY (kinds))
        ORDER BY k.name FOR UPDATE;
    END IF;
    WHILE cardinality(picked) < max_jobs LOOP
        IF capped THEN
            full_kinds := ARRAY(
                SELECT k.name FROM seqtwins.job_kinds k
                WHERE k.max_running IS NOT NULL
                  AND (SELECT count(*) FROM seqtwins.jobs r WHERE r.state = 'running' AND r.kind = k.name)
                      + (SELECT count(*) FROM seqtwins.jobs p WHERE p.id = ANY (picked) AND p.kind = k.name)
                      >= k.max_running);
        END IF;
        found_ids := '{}';
        FOR grp IN SELECT * FROM seqtwins.claim_groups(picked_groups) LOOP
            -- Experiments get one job per turn, so a batch is shared out; jobs outside experiments (noop, sleep,
            -- operations) come as a batch.
            wanted := CASE WHEN capped THEN 1 ELSE max_jobs - cardinality(picked) END;
            IF grp.experiment_id IS NULL THEN
                found_ids := ARRAY(
                    SELECT r.id FROM seqtwins.jobs r
                    WHERE r.state = 'queued' AND r.experiment_id IS NULL AND r.run_after <= now()
                      AND (kinds IS NULL OR r.kind = ANY (kinds)) AND NOT (r.kind = ANY (full_kinds))
                      AND NOT (r.id = ANY (picked))
                    ORDER BY r.priority DESC, r.run_after, r.id
                    LIMIT wanted FOR UPDATE SKIP LOCKED);
            ELSE
                found_ids := ARRAY(
                    SELECT r.id FROM seqtwins.jobs r
                    WHERE r.state = 'queued' AND r.experiment_id = grp.experiment_id AND r.run_after <= now()
                      AND (kinds IS NULL OR r.kind = ANY (kinds)) AND NOT (r.kind = ANY (full_kinds))
                      AND NOT (r.id = ANY (picked))
                    ORDER BY r.priority DESC, r.run_after, r.id
                    LIMIT 1 FOR UPDATE SKIP LOCKED);
            END IF;
            EXIT WHEN cardinality(found_ids) > 0;
        END LOOP;
        EXIT WHEN cardinality(found_ids) = 0;
        picked := picked || found_ids;
        picked_groups := picked_groups || array_fill(grp.experiment_id, ARRAY[cardinality(found_ids)]);
    END LOOP;
    IF cardinality(picked) = 0 THEN
        RETURN;
    END IF;
    UPDATE seqtwins.experiments x SET last_claimed_at = clock_timestamp()
    WHERE x.id = ANY (picked_groups);
    RETURN QUERY
    UPDATE seqtwins.jobs j
    SET state = 'running', attempts = j.attempts + 1, lease_owner = worker, lease_token = gen_random_uuid(),
        lease_expires_at = now() + make_interval(secs => lease_seconds), heartbeat_at = now(),
        progress = 0, progress_message = NULL, started_at = now(), updated_at = now()
    WHERE j.id = ANY (picked)
    RETURNING j.*;
END
$$;

-- Sets an experiment's priority (higher is served first; equal priorities share the workers). Returns false when
-- there is no such experiment.
CREATE FUNCTION seqtwins.set_experiment_priority(experiment bigint, priority integer) RETURNS boolean
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
BEGIN
    IF priority IS NULL OR priority NOT BETWEEN -1000000 AND 1000000 THEN
        RAISE EXCEPTION 'set_experiment_priority: priority must be between -1000000 and 1000000, got %', priority
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE seqtwins.experiments x SET priority = priority WHERE x.id = experiment;
    RETURN FOUND;
END
$$;

-- Caps the running jobs of `kind` cluster-wide (NULL removes the cap). Returns false for an unknown kind.
CREATE FUNCTION seqtwins.set_kind_limit(kind text, max_running integer) RETURNS boolean
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
BEGIN
    IF max_running IS NOT NULL AND max_running < 0 THEN
        RAISE EXCEPTION 'set_kind_limit: max_running must be at least 0 or NULL, got %', max_running
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE seqtwins.job_kinds k SET max_running = max_running WHERE k.name = kind;
    RETURN FOUND;
END
$$;

-- Who may do what here (0020_roles.sql): a worker's claim records when it served an experiment, and locks the rows
-- of capped kinds (a row lock needs UPDATE on some column: the description, which says nothing the claim relies
-- on); a submitter sets experiment priorities and kind caps.
GRANT UPDATE (last_claimed_at) ON seqtwins.experiments TO seqtwins_worker;
GRANT UPDATE (description) ON seqtwins.job_kinds TO seqtwins_worker;
GRANT UPDATE (priority) ON seqtwins.experiments TO seqtwins_submitter;
GRANT UPDATE (max_running) ON seqtwins.job_kinds TO seqtwins_submitter;
