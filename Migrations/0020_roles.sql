-- Least privilege: three NOLOGIN group roles, and grants that let each do its part and nothing more.
-- Logins are made members of one of them (`seqtwins db create-login NAME --role worker|submitter|reader`).
--
-- Who may write which table (every role may SELECT every table and view of the schema; nobody but the schema's
-- owner, the role that runs the migrations, may create, alter or drop anything):
--
-- seqtwins_worker:
--   jobs              INSERT (the planner); UPDATE of the state, lease, progress, error, timing and key columns only
--                     (never kind, payload, priority, max_attempts, experiment_id); no DELETE
--   job_dependencies  INSERT (the planner)
--   job_kinds         INSERT (a worker declares the kinds it runs)
--   experiments       UPDATE of resolved_spec only (the planner)
--   runs              INSERT, UPDATE
--   metrics, checkpoints, embeddings, eval_results, eval_predictions
--                     INSERT, UPDATE, DELETE (a rerun replaces results: upserts, and DELETE + COPY)
-- seqtwins_submitter:
--   experiments       INSERT
--   jobs              INSERT, UPDATE (enqueue, cancel, retry)
--   job_dependencies  INSERT
--   datasets, dataset_users, dataset_items, dataset_sequences
--                     INSERT, UPDATE, DELETE (import and delete datasets)
-- seqtwins_reader: nothing.
-- Nobody writes schema_migrations but the owner.
--
-- Functions keep SECURITY INVOKER, and the table grants above are the one source of truth. We chose that over
-- SECURITY DEFINER queue functions because:
-- - a SECURITY DEFINER function runs as its owner, the role that ran the migrations: in the test clusters and in
--   many single-user installations a superuser. Every queue function would become a way into that role, and one
--   careless later function (dynamic SQL, an unqualified name) a privilege escalation;
-- - it would not take UPDATE on jobs from the worker anyway: fenced writes lock the job's row with
--   SELECT ... FOR UPDATE, which needs UPDATE privilege on the table, and the planner inserts jobs;
-- - with invoker rights a psql user and the CLI get exactly the same answer for the same role, and a function
--   called by the wrong role fails with "permission denied for table ...", SQLSTATE 42501.
-- The price: a worker login may change the state columns of any job (rescue_expired and the planner must touch
-- jobs other than the one it holds), so it could also cancel or requeue jobs through seqtwins.cancel/retry or a
-- raw UPDATE. It cannot change what a job does (kind, payload, priority, experiment), delete jobs, experiments
-- or datasets, submit experiments, or touch anything outside the seqtwins schema.
--
-- Roles are cluster-wide while migrations run once per database, and the test suites migrate many databases of one
-- cluster at once: a role is created only when missing, and a concurrent creator's win (duplicate_object, or
-- unique_violation when both transactions passed the check before either committed) is ignored. Only CREATE ROLE
-- and its COMMENT touch shared catalogs; everything after them is per database. Creating roles needs CREATEROLE: a
-- schema owner without it (the container stack's) finds them made by the database's init script, and otherwise
-- gets an error saying what an administrator should run.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT * FROM (VALUES
            ('seqtwins_worker', 'SeqTwins workers: claim and run jobs, write their results; read specs and datasets.'),
            ('seqtwins_submitter',
             'SeqTwins submitters: enqueue, cancel and retry; import and delete datasets; read everything.'),
            ('seqtwins_reader', 'SeqTwins readers: SELECT on results, views and datasets; nothing else.')
        ) AS t (name, description)
    LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r.name);
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles
                       WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
            RAISE EXCEPTION 'role % does not exist, and % may not create roles', r.name, current_user
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'As a superuser, run once per cluster: CREATE ROLE seqtwins_worker NOLOGIN; '
                          || 'CREATE ROLE seqtwins_submitter NOLOGIN; CREATE ROLE seqtwins_reader NOLOGIN;';
        END IF;
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r.name);
            EXECUTE format('COMMENT ON ROLE %I IS %L', r.name, r.description);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- another database's migration created it first
        END;
    END LOOP;
END
$$;

-- Nobody but the owner creates objects in the schema, nor in `public` (PostgreSQL 15 already revokes the latter;
-- older servers and upgraded clusters do not). Only the schema's owner may revoke there: others get a notice.
REVOKE CREATE ON SCHEMA seqtwins FROM PUBLIC;
DO $$
BEGIN
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;
EXCEPTION WHEN insufficient_privilege OR invalid_schema_name THEN
    RAISE NOTICE 'left CREATE on schema public as it was: % is not its owner, or it does not exist', current_user;
END
$$;

GRANT USAGE ON SCHEMA seqtwins TO seqtwins_worker, seqtwins_submitter, seqtwins_reader;

-- Reading: every table and view, for all three roles. Functions: invoker rights, so EXECUTE for the three roles is
-- harmless (what a function writes is checked against the caller's table grants); PUBLIC loses it, and without
-- USAGE on the schema other roles cannot reach the functions anyway.
GRANT SELECT ON ALL TABLES IN SCHEMA seqtwins TO seqtwins_worker, seqtwins_submitter, seqtwins_reader;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA seqtwins FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA seqtwins TO seqtwins_worker, seqtwins_submitter, seqtwins_reader;
-- Identity columns need no sequence privilege; serial columns a later migration may add do.
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA seqtwins TO seqtwins_worker, seqtwins_submitter;

-- The worker: claim, heartbeat, complete, fail, release, rescue (seqtwins.* functions updating jobs), the planner's
-- jobs and resolved spec, and the results of the jobs it runs.
GRANT INSERT ON seqtwins.jobs, seqtwins.job_dependencies, seqtwins.job_kinds TO seqtwins_worker;
GRANT UPDATE (state, attempts, run_after, lease_owner, lease_token, lease_expires_at, heartbeat_at, progress,
              progress_message, last_error, cancelled_by, started_at, finished_at, updated_at, key)
    ON seqtwins.jobs TO seqtwins_worker;
GRANT UPDATE (resolved_spec) ON seqtwins.experiments TO seqtwins_worker;
GRANT INSERT, UPDATE ON seqtwins.runs TO seqtwins_worker;
GRANT INSERT, UPDATE, DELETE ON seqtwins.metrics, seqtwins.checkpoints, seqtwins.embeddings, seqtwins.eval_results,
    seqtwins.eval_predictions TO seqtwins_worker;

-- The submitter: experiments and jobs in (enqueue_experiment, enqueue), cancel and retry (updates of jobs).
GRANT INSERT ON seqtwins.experiments, seqtwins.jobs, seqtwins.job_dependencies TO seqtwins_submitter;
GRANT UPDATE ON seqtwins.jobs TO seqtwins_submitter;

-- The submitter imports and deletes datasets (Migrations/0011_datasets.sql; `interactions` is a view over
-- dataset_sequences).
GRANT INSERT, UPDATE, DELETE ON seqtwins.datasets, seqtwins.dataset_users, seqtwins.dataset_items,
    seqtwins.dataset_sequences TO seqtwins_submitter;

-- Objects that later migrations create: readable by all three roles, functions callable, sequences usable by the
-- writers. Default privileges apply to objects created by the role that runs this migration (the schema owner);
-- write grants are never defaults: a migration that adds a table says who may write it, as above.
ALTER DEFAULT PRIVILEGES IN SCHEMA seqtwins
    GRANT SELECT ON TABLES TO seqtwins_worker, seqtwins_submitter, seqtwins_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA seqtwins
    GRANT EXECUTE ON FUNCTIONS TO seqtwins_worker, seqtwins_submitter, seqtwins_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA seqtwins
    GRANT USAGE, SELECT ON SEQUENCES TO seqtwins_worker, seqtwins_submitter;
