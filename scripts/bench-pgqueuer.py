#!/usr/bin/env python3
"""pgqueuer's default worker loop on no-op jobs, for comparison with `bench-queue worker`.

Installs pgqueuer's schema in the database named by --dsn (an empty, throwaway one: bench-queue creates it), then
for each worker count enqueues N no-op jobs and drains them with W processes, each running pgqueuer's default
QueueManager loop (batches of 10, buffered completion) in drain mode, and prints one line per run:

    pgqueuer workers=W jobs=N seconds=S jobs_per_s=R

Usage: python3 scripts/bench-pgqueuer.py --dsn postgresql://... [--jobs 20000] [--workers 1,2,4]
Needs `pip install pgqueuer asyncpg`.
"""
import argparse
import asyncio
import multiprocessing
import time

import asyncpg
from pgqueuer import AsyncpgDriver, QueueManager, Queries


async def drain(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    manager = QueueManager(Queries(AsyncpgDriver(connection)))

    @manager.entrypoint("noop")
    async def noop(job) -> None:  # the no-op job
        pass

    # The defaults of QueueManager.run (batch_size=10) but draining: exit once the queue is empty.
    from pgqueuer.domain.types import QueueExecutionMode

    await manager.run(mode=QueueExecutionMode.drain)
    await connection.close()


def worker_process(dsn: str) -> None:
    asyncio.run(drain(dsn))


async def prepare(dsn: str, jobs: int) -> None:
    connection = await asyncpg.connect(dsn)
    queries = Queries(AsyncpgDriver(connection))
    installed = await connection.fetchval("SELECT to_regclass('pgqueuer') IS NOT NULL")
    if not installed:
        await queries.install()
    await connection.execute("TRUNCATE pgqueuer, pgqueuer_log, pgqueuer_statistics")
    for start in range(0, jobs, 5000):
        count = min(5000, jobs - start)
        await queries.enqueue(["noop"] * count, [None] * count, [0] * count)
    await connection.execute("VACUUM ANALYZE pgqueuer")
    await connection.close()


async def remaining(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    left = await connection.fetchval("SELECT count(*) FROM pgqueuer")
    await connection.close()
    return left


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--jobs", type=int, default=20000)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    for workers in [int(w) for w in args.workers.split(",")]:
        asyncio.run(prepare(args.dsn, args.jobs))
        start = time.monotonic()
        processes = [multiprocessing.Process(target=worker_process, args=(args.dsn,)) for _ in range(workers)]
        for process in processes:
            process.start()
        for process in processes:
            process.join()
        seconds = time.monotonic() - start
        left = asyncio.run(remaining(args.dsn))
        if left != 0 or any(p.exitcode != 0 for p in processes):
            raise SystemExit(f"pgqueuer: {left} jobs left, exit codes {[p.exitcode for p in processes]}")
        print(f"pgqueuer workers={workers} jobs={args.jobs} seconds={seconds:.3f} "
              f"jobs_per_s={args.jobs / seconds:.0f}", flush=True)


if __name__ == "__main__":
    main()
