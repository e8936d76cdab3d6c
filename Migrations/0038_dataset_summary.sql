-- What preprocessing did to an experiment's dataset (users, items and interactions read and kept, the split, the
-- label vocabulary with item counts, the categories left out), written by the plan job for the first seed.
ALTER TABLE seqtwins.experiments ADD COLUMN dataset_summary jsonb;
COMMENT ON COLUMN seqtwins.experiments.dataset_summary IS
    'DatasetSummary of the first seed: source and kept counts, split sizes, label vocabulary, left-out categories.';
GRANT UPDATE (dataset_summary) ON seqtwins.experiments TO seqtwins_worker;
