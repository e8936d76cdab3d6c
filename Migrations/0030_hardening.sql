-- Hardening of the queue's SQL surface: bounded error and progress texts, leases and run-after times that must be
-- finite and in range, retry delays that cannot overflow, and no dependency cycles however rows are written.

-- Bounds, one place: the longest last_error and progress_message kept (characters), the longest lease (seconds),
-- the longest retry delay (seconds).
CREATE FUNCTION seqtwins.max_message_length() RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT 4000 $$;
CREATE FUNCTION seqtwins.max_lease_seconds() RETURNS double precision LANGUAGE sql IMMUTABLE AS $$ SELECT 86400.0 $$;
CREATE FUNCTION seqtwins.max_retry_delay_seconds() RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT 604800.0
$$;

-- `message` cut to `seqtwins.max_message_length()` characters, the cut marked with an ellipsis and the full length.
CREATE FUNCTION seqtwins.bounded_message(message text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN length(message) <= seqtwins.max_message_length() THEN message
                ELSE left(message, seqtwins.max_message_length() - 40)
                     || format('… [%s characters in all]', length(message)) END
$$;

-- Every way a text reaches last_error or progress_message (seqtwins.fail, heartbeats, cancellations naming a failed
-- parent's error, plain UPDATEs) goes through this trigger, so no row carries megabytes of error text.
CREATE FUNCTION seqtwins.bound_job_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.last_error := seqtwins.bounded_message(NEW.last_error);
    NEW.progress_message := seqtwins.bounded_message(NEW.progress_message);
    RETURN NEW;
END
$$;
CREATE TRIGGER jobs_bound_messages BEFORE INSERT OR UPDATE OF last_error, progress_message ON seqtwins.jobs
    FOR EACH ROW
    WHEN (length(NEW.last_error) > 4000 OR length(NEW.progress_message) > 4000)  -- max_message_length()
    EXECUTE FUNCTION seqtwins.bound_job_messages();

-- Raises unless `lease_seconds` is a number of seconds in (0, max_lease_seconds()].
CREATE FUNCTION seqtwins.check_lease_seconds(lease_seconds double precision) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF lease_seconds IS NULL OR NOT (lease_seconds > 0 AND lease_seconds <= seqtwins.max_lease_seconds()) THEN
        RAISE EXCEPTION 'lease_seconds = %: expected a number of seconds in (0, %]', lease_seconds,
            seqtwins.max_lease_seconds() USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

-- claim, as in 0002, refusing a lease that is not in (0, max_lease_seconds()] even when no job is ready.
CREATE OR REPLACE FUNCTION seqtwins.claim(
    worker text,
    lease_seconds double precision,
    kinds text[] DEFAULT NULL,
    max_jobs integer DEFAULT 1
) RETURNS SETOF seqtwins.jobs LANGUAGE plpgsql AS $$
#variable_conflict use_variable
BEGIN
    PERFORM seqtwins.check_lease_seconds(lease_seconds);
    -- `id = ANY (ARRAY(...))` keeps the update on the primary key; a join with the locked rows would let the
    -- planner guess a large LIMIT and scan the table.
    RETURN QUERY
    WITH claimed AS (
    UPDATE seqtwins.jobs j
    SET state = 'running', attempts = j.attempts + 1, lease_owner = worker, lease_token = gen_random_uuid(),
        lease_expires_at = now() + make_interval(secs => lease_seconds), heartbeat_at = now(),
        progress = 0, progress_message = NULL, started_at = now(), updated_at = now()
    WHERE j.id = ANY (ARRAY(
        SELECT r.id FROM seqtwins.jobs r
        WHERE r.state = 'queued' AND r.run_after <= now() AND (kinds IS NULL OR r.kind = ANY (kinds))
        ORDER BY r.priority DESC, r.run_after, r.id
        LIMIT max_jobs
        FOR UPDATE SKIP LOCKED))
    RETURNING j.*)
    SELECT * FROM claimed;
END
$$;

-- heartbeat, as in 0002, refusing a lease that is not in (0, max_lease_seconds()].
CREATE OR REPLACE FUNCTION seqtwins.heartbeat(
    job_id bigint,
    token uuid,
    lease_seconds double precision,
    fraction double precision DEFAULT NULL,
    message text DEFAULT NULL
) RETURNS text LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    current_state text;
BEGIN
    PERFORM seqtwins.check_lease_seconds(lease_seconds);
    UPDATE seqtwins.jobs j
    SET lease_expires_at = now() + make_interval(secs => lease_seconds), heartbeat_at = now(),
        progress = CASE WHEN fraction IS NULL OR fraction <> fraction THEN j.progress
                        ELSE least(greatest(fraction, 0), 1) END,
        progress_message = coalesce(message, j.progress_message), updated_at = now()
    WHERE j.id = job_id AND j.lease_token = token AND j.state = 'running';
    IF FOUND THEN
        RETURN 'running';
    END IF;
    SELECT j.state INTO current_state FROM seqtwins.jobs j WHERE j.id = job_id AND j.lease_token = token;
    RETURN CASE WHEN current_state = 'cancelled' THEN 'cancelled' ELSE 'lost' END;
END
$$;

-- run_after must be a finite time: 'infinity' would leave a job queued for ever, '-infinity' ahead of every other.
ALTER TABLE seqtwins.jobs ADD CONSTRAINT jobs_run_after_finite CHECK (isfinite(run_after));

-- fail, as in 0002, with the retry delay clamped to [0, max_retry_delay_seconds()] (NaN and infinities included):
-- recording a failure must never itself fail on an interval out of range, which would lose the job's real error.
CREATE OR REPLACE FUNCTION seqtwins.fail(
    job_id bigint,
    token uuid,
    error_message text,
    retry_delay_seconds double precision DEFAULT NULL,
    permanent boolean DEFAULT false
) RETURNS text LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    job seqtwins.jobs;
    delay double precision;
BEGIN
    SELECT * INTO job FROM seqtwins.jobs j
    WHERE j.id = job_id AND j.lease_token = token AND j.state = 'running' FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF job.attempts < job.max_attempts AND NOT coalesce(permanent, false) THEN
        delay := coalesce(retry_delay_seconds, least(power(2, job.attempts), 3600) * (0.75 + 0.5 * random()));
        -- NaN compares above every number in PostgreSQL, so least() maps it to the maximum.
        delay := greatest(least(delay, seqtwins.max_retry_delay_seconds()), 0);
        UPDATE seqtwins.jobs j
        SET state = 'queued', last_error = error_message, lease_owner = NULL, lease_token = NULL,
            lease_expires_at = NULL, run_after = now() + make_interval(secs => delay), updated_at = now()
        WHERE j.id = job_id;
        RETURN 'queued';
    END IF;
    UPDATE seqtwins.jobs j
    SET state = 'failed', last_error = error_message, lease_expires_at = NULL, finished_at = now(), updated_at = now()
    WHERE j.id = job_id;
    PERFORM seqtwins.cancel_dependants(job_id,
        format('dependency job %s (%s) failed: %s', job_id, job.kind, seqtwins.bounded_message(error_message)));
    RETURN 'failed';
END
$$;

-- A dependency may not close a cycle (a job that waits, through any chain, on itself would stay blocked for ever),
-- whoever writes the row: seqtwins.enqueue, the planner or a plain INSERT. The new edge `job_id → depends_on`
-- closes a cycle exactly when `depends_on` already waits on `job_id`, i.e. is among `job_id`'s dependants; a new
-- job has none, so the search is one index probe for enqueue. Writers of dependencies are serialised by an
-- advisory lock held to the end of their transaction, so two concurrent inserts cannot close a cycle between them.
CREATE FUNCTION seqtwins.refuse_dependency_cycle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('seqtwins.job_dependencies'));
    IF EXISTS (
        WITH RECURSIVE dependants(id) AS (
            SELECT d.job_id FROM seqtwins.job_dependencies d WHERE d.depends_on = NEW.job_id
            UNION
            SELECT d.job_id FROM seqtwins.job_dependencies d JOIN dependants ON d.depends_on = dependants.id
        )
        SELECT 1 FROM dependants WHERE id = NEW.depends_on
    ) THEN
        RAISE EXCEPTION 'job % cannot depend on job %: that would close a cycle', NEW.job_id, NEW.depends_on
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = format('job %s already waits on job %s, directly or through other jobs',
                                  NEW.depends_on, NEW.job_id);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER job_dependencies_no_cycle BEFORE INSERT OR UPDATE ON seqtwins.job_dependencies
    FOR EACH ROW EXECUTE FUNCTION seqtwins.refuse_dependency_cycle();

COMMENT ON FUNCTION seqtwins.bounded_message(text) IS
    'The text cut to seqtwins.max_message_length() (4000) characters, marked with an ellipsis and its full length.';
COMMENT ON FUNCTION seqtwins.check_lease_seconds(double precision) IS
    'Raises unless the lease is a number of seconds in (0, seqtwins.max_lease_seconds()] (one day).';
