"""A bounded load of visitors posting decisions to a running service, then the check that nothing
acknowledged was lost (the load itself is tests/support/load.py, shared with the load tests).

    python -m bench.load --url http://127.0.0.1:5000 --database-url ... --clients 64 --seconds 60
"""
import argparse
import json
import sys

from tests.support import load


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args(argv)
    results = load.run(args.url, args.clients, args.seconds)
    problems, count = load.check_stored(results, args.database_url)
    print(json.dumps({**results.summary(args.seconds), "stored": count, "problems": problems[:20]}, indent=2))
    return 1 if problems or results.errors else 0


if __name__ == "__main__":
    sys.exit(main())
