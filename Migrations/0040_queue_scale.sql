-- The claim at scale (bench-queue simulate): claim_groups, as in 0035, finds the group of jobs outside experiments
-- with an index probe rather than a sequential scan.
--
-- 0035 tested that group with `EXISTS (SELECT 1 FROM seqtwins.jobs WHERE state = 'queued' AND experiment_id IS
-- NULL)`. While most rows are queued the planner expects a match on the first page and scans the heap from its
-- start; but finished jobs gather there (claims and completions rewrite rows into the space vacuum frees at the
-- head), so every claim read past every finished job: with 100,000 no-op jobs drained by 16 claimers the claim's
-- p50 grew from 3 ms to 51 ms, and on the drained queue the test read all 100,000 rows (24 ms). Ordered by
-- jobs_queued_experiment_idx's columns with LIMIT 1 it is one probe of that partial index, whatever the statistics.
CREATE OR REPLACE FUNCTION seqtwins.claim_groups(extra bigint[] DEFAULT '{}')
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
        SELECT NULL::bigint WHERE coalesce((
            SELECT true FROM seqtwins.jobs j WHERE j.state = 'queued' AND j.experiment_id IS NULL
            ORDER BY j.experiment_id, j.priority DESC, j.run_after, j.id LIMIT 1), false)
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
