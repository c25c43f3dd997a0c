"""`make bench`: load tests of the authorization server, run the way production serves it.

``bench.run`` orchestrates (server, data, load, report); ``bench.prepare`` writes the data through
Django; ``bench.loadgen`` and ``bench.wrk`` drive the load; ``bench.report`` holds the pure
formatting. ``bench.settings`` and ``bench.urls`` are used by the bench server only.
"""
