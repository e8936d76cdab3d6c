#!/usr/bin/env python3
"""Times pandas reading a MovieLens-20M-style ratings.csv, for comparison with `bench-data`.

Usage: python3 scripts/bench_pandas.py /tmp/seqtwins-bench/ratings.csv
Prints one line per measurement: `pandas <what> rows=<n> seconds=<s> rows_per_s=<r> peak_rss_mib=<m>`.
Needs pandas (`pip install pandas`).
"""
import resource
import sys
import time

import pandas as pd


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    path = sys.argv[1]
    start = time.perf_counter()
    frame = pd.read_csv(path)
    read_seconds = time.perf_counter() - start
    rows = len(frame)
    print(f"pandas read_csv rows={rows} seconds={read_seconds:.3f} rows_per_s={rows / read_seconds:.0f} "
          f"peak_rss_mib={peak_rss_mib():.0f}", flush=True)
    # The same work as the Swift loader: group by user, sort by (timestamp, file order).
    start = time.perf_counter()
    frame = frame.sort_values(["userId", "timestamp"], kind="stable")
    sort_seconds = time.perf_counter() - start
    total = read_seconds + sort_seconds
    print(f"pandas read_csv+sort rows={rows} seconds={total:.3f} rows_per_s={rows / total:.0f} "
          f"peak_rss_mib={peak_rss_mib():.0f}", flush=True)


if __name__ == "__main__":
    main()
