#!/usr/bin/env python3
"""What a Swift Testing run's event stream (JSON lines, version 0) counts: tests and suites that ran, passed,
failed and were skipped, and whether the run ended. Printed last by scripts/test.sh, so that the result does not
rest on the runner's closing line alone (once, a run that passed ended without it)."""
import json
import sys


def main(path):
    tests, suites, ended = {}, set(), set()
    failed, skipped, run_ended = set(), set(), False
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line cut short by a process that died while writing it
            payload = record.get("payload", {})
            if record.get("kind") == "test":
                if payload.get("kind") == "suite":
                    suites.add(payload["id"])
                else:
                    tests[payload["id"]] = payload
                continue
            kind, test = payload.get("kind"), payload.get("testID")
            if kind == "testEnded" and test in tests:
                ended.add(test)
            elif kind == "testSkipped" and test in tests:
                skipped.add(test)
            elif kind == "issueRecorded" and test is not None:
                failed.add(test)
            elif kind == "runEnded":
                run_ended = True
    failing = {test for test in failed if test in tests}
    print(f"test: event stream: {len(ended)} of {len(tests)} tests ran to their end ({len(ended - failing)} passed, "
          f"{len(failing)} failed, {len(skipped)} skipped) in {len(suites)} suites; "
          f"the run {'ended' if run_ended else 'DID NOT END (the runner stopped before its end)'}")


if __name__ == "__main__":
    main(sys.argv[1])
