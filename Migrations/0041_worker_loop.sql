-- The worker loop's round trips (issue 11): a worker completes the job its handler finished and claims the next in
-- one call, and completing many jobs is set-based.

-- Moves the blocked jobs among `children` to queued when all their parents have succeeded; returns how many. The
-- set-based form of release_dependants (0002): every candidate row is locked first, in id order (so two callers
-- cannot deadlock), and the parents are read by the next statement, under a fresh snapshot, so two parents finishing
-- at once cannot both miss a child.
CREATE FUNCTION seqtwins.release_children(children bigint[]) RETURNS integer LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    n integer;
BEGIN
    PERFORM 1 FROM seqtwins.jobs c WHERE c.id = ANY (children) AND c.state = 'blocked' ORDER BY c.id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    UPDATE seqtwins.jobs j SET state = 'queued', run_after = greatest(j.run_after, now()), updated_at = now()
    WHERE j.id = ANY (children) AND j.state = 'blocked' AND NOT EXISTS (
        SELECT 1 FROM seqtwins.job_dependencies d JOIN seqtwins.jobs p ON p.id = d.depends_on
        WHERE d.job_id = j.id AND p.state <> 'succeeded');
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- complete_many, as in 0002, set-based: one UPDATE marks every job whose (id, token) still holds its lease
-- succeeded, one query finds their children, one call releases them (0002 looked up and released the children of
-- each completed job in turn). Returns the ids completed.
CREATE OR REPLACE FUNCTION seqtwins.complete_many(job_ids bigint[], tokens uuid[]) RETURNS SETOF bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    done bigint[];
    children bigint[];
BEGIN
    WITH finished AS (
        UPDATE seqtwins.jobs j
        SET state = 'succeeded', progress = 1, lease_expires_at = NULL, finished_at = now(), updated_at = now()
        FROM unnest(job_ids, tokens) AS t(id, token)
        WHERE j.id = t.id AND j.lease_token = t.token AND j.state = 'running'
        RETURNING j.id)
    SELECT coalesce(array_agg(f.id ORDER BY f.id), '{}') INTO done FROM finished f;
    IF cardinality(done) = 0 THEN
        RETURN;
    END IF;
    children := ARRAY(SELECT DISTINCT d.job_id FROM seqtwins.job_dependencies d WHERE d.depends_on = ANY (done)
                      ORDER BY 1);
    IF cardinality(children) > 0 THEN
        PERFORM seqtwins.release_children(children);
    END IF;
    RETURN QUERY SELECT unnest(done);
END
$$;

-- The worker loop's one round trip per job: completes `job_ids` (fenced per job, as complete_many) and claims up to
-- `max_jobs` more (as claim: fair share, kind caps, a fresh lease token each), in one transaction. Unlike
-- complete_and_claim (0002) it says which jobs it completed, so a worker whose lease was taken over knows that
-- nothing was written: `completed` (the ids completed, in order) is on every row, and when nothing was claimed
-- there is one row whose job columns are NULL.
CREATE FUNCTION seqtwins.complete_and_claim_next(
    job_ids bigint[],
    tokens uuid[],
    worker text,
    lease_seconds double precision,
    kinds text[] DEFAULT NULL,
    max_jobs integer DEFAULT 1
) RETURNS TABLE (completed bigint[], id bigint, kind text, payload jsonb, attempts integer, max_attempts integer,
                 experiment_id bigint, lease_token uuid, priority integer, run_after timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    done bigint[];
BEGIN
    done := ARRAY(SELECT c FROM seqtwins.complete_many(job_ids, tokens) AS c ORDER BY c);
    RETURN QUERY
    SELECT done, j.id, j.kind, j.payload, j.attempts, j.max_attempts, j.experiment_id, j.lease_token, j.priority,
           j.run_after
    FROM seqtwins.claim(worker, lease_seconds, kinds, max_jobs) AS j;
    IF NOT FOUND THEN
        RETURN QUERY SELECT done, NULL::bigint, NULL::text, NULL::jsonb, NULL::integer, NULL::integer,
                            NULL::bigint, NULL::uuid, NULL::integer, NULL::timestamptz;
    END IF;
END
$$;

-- claim, as in 0035 (fair share, kind caps, the lease check of 0030), with a shortcut for the common case of a
-- flood of jobs outside experiments: when no experiment has a queued job, the only group claim_groups could return
-- is the one of jobs outside experiments, so its recursive scan, running counts and sort are skipped and the jobs
-- are picked with one probe of jobs_queued_experiment_idx. The experiments' last_claimed_at is written only when an
-- experiment's job was claimed. Same jobs, same order.
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
    IF lease_seconds IS NULL OR NOT (lease_seconds > 0 AND lease_seconds <= seqtwins.max_lease_seconds()) THEN
        PERFORM seqtwins.check_lease_seconds(lease_seconds);
    END IF;
    IF max_jobs IS NULL OR max_jobs < 1 THEN
        RETURN;
    END IF;
    -- Capped kinds: lock their rows so that concurrent claims of them queue up here and a cap is never overshot.
    SELECT EXISTS (SELECT 1 FROM seqtwins.job_kinds k WHERE k.max_running IS NOT NULL) INTO capped;
    IF NOT capped AND NOT EXISTS (
        SELECT 1 FROM seqtwins.jobs j WHERE j.state = 'queued' AND j.experiment_id IS NOT NULL
        ORDER BY j.experiment_id, j.priority DESC, j.run_after, j.id LIMIT 1)
    THEN
        -- No experiment has a queued job: jobs outside experiments are the only group.
        RETURN QUERY
        UPDATE seqtwins.jobs j
        SET state = 'running', attempts = j.attempts + 1, lease_owner = worker, lease_token = gen_random_uuid(),
            lease_expires_at = now() + make_interval(secs => lease_seconds), heartbeat_at = now(),
            progress = 0, progress_message = NULL, started_at = now(), updated_at = now()
        WHERE j.id = ANY (ARRAY(
            SELECT r.id FROM seqtwins.jobs r
            WHERE r.state = 'queued' AND r.experiment_id IS NULL AND r.run_after <= now()
              AND (kinds IS NULL OR r.kind = ANY (kinds))
            ORDER BY r.priority DESC, r.run_after, r.id
            LIMIT max_jobs FOR UPDATE SKIP LOCKED))
        RETURNING j.*;
        RETURN;
    END IF;
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
    IF EXISTS (SELECT 1 FROM unnest(picked_groups) AS g WHERE g IS NOT NULL) THEN
        UPDATE seqtwins.experiments x SET last_claimed_at = clock_timestamp()
        WHERE x.id = ANY (picked_groups);
    END IF;
    RETURN QUERY
    UPDATE seqtwins.jobs j
    SET state = 'running', attempts = j.attempts + 1, lease_owner = worker, lease_token = gen_random_uuid(),
        lease_expires_at = now() + make_interval(secs => lease_seconds), heartbeat_at = now(),
        progress = 0, progress_message = NULL, started_at = now(), updated_at = now()
    WHERE j.id = ANY (picked)
    RETURNING j.*;
END
$$;
