"""HTTP benchmark: nginx serving `feeds build` output against `feeds serve` on the same data.

.venv/bin/python -m bench.http            # see --help; installs nginx and wrk with apt-get
"""
