-- The schema that holds every SeqTwins table, view and function.
CREATE SCHEMA IF NOT EXISTS seqtwins;
