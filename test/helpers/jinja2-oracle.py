"""Renders every case of a JSON list with Python's jinja2, configured as dbt does (the `do`
extension, default Undefined, no autoescape). Reads [{"template", "context"}] on stdin and writes
[{"ok": true, "output"} | {"ok": false, "error"}] on stdout: one process for all cases."""
import json
import sys

import jinja2

env = jinja2.Environment(extensions=["jinja2.ext.do"])
results = []
for case in json.load(sys.stdin):
    try:
        output = env.from_string(case["template"]).render(**case.get("context", {}))
        results.append({"ok": True, "output": output})
    except Exception as error:  # every failure counts as "an error in both"
        results.append({"ok": False, "error": f"{type(error).__name__}: {error}"})
json.dump(results, sys.stdout)
