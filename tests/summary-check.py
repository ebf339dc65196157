#!/usr/bin/env python3
# tests/summary-check.py DIR... - checks summary.json against docs/outputs.md.
#
# Owns: the documented keys and types of summary.json (format_version 2) and
# the cross-check of its deployments[] against fleet.db beside it.
# Does not: run fleetsim (tests/cli-checks.sh does) or judge model results.
# Prints one line per problem; exit 0 when none, 1 otherwise.
import json
import sqlite3
import sys

INT, NUM, STR, BOOL = (int,), (int, float), (str,), (bool,)
TOP = {"format_version": INT, "fleetsim_version": STR, "scenario": STR,
       "seed": INT, "threads": INT, "devices": INT, "events": INT,
       "sim_time_us": INT, "duration_us": INT, "completed": BOOL,
       "sim_time": (dict,), "duration": (dict,), "wall_s": NUM,
       "peak_rss_bytes": INT, "fingerprint": STR,
       "expectations_failed": INT, "expectations": (list,),
       "deployments": (list,), "metrics": (list,)}
DEP = {"id": STR, "image": STR, "state": STR, "targets": INT, "waves": INT,
       "waves_opened": INT, "offered": INT, "confirmed": INT, "failed": INT,
       "rolled_back": INT, "halts": INT}
TIMES = ("time_to_50_s", "time_to_90_s", "time_to_99_s")
STATES = {"pending", "running", "halted", "completed", "cancelled"}


def typed(v, types):
    return isinstance(v, types) and not (bool not in types and
                                         isinstance(v, bool))


def check(d):
    errs = []
    with open(d + "/summary.json") as f:
        s = json.load(f)
    for k, t in TOP.items():
        if k not in s:
            errs.append("missing key %s" % k)
        elif not typed(s[k], t):
            errs.append("%s: %r is not %s" % (k, s[k], t))
    if errs:
        return errs
    if s["format_version"] != 2:
        errs.append("format_version %r != 2" % s["format_version"])
    for k in ("sim_time", "duration"):
        o = s[k]
        if o.get("unit") != "us" or o.get("value") != s[k + "_us"] or \
                not isinstance(o.get("text"), str):
            errs.append("%s: %r does not match %s_us" % (k, o, k))
    if len(s["fingerprint"]) != 64:
        errs.append("fingerprint is not 64 hex digits")
    failed = 0
    for e in s["expectations"]:
        for k in ("expr", "at_us", "line", "value", "value_number",
                  "value_unit", "verdict"):
            if k not in e:
                errs.append("expectation without %s: %r" % (k, e))
        if e.get("verdict") not in ("held", "failed", "not_reached"):
            errs.append("bad verdict %r" % e.get("verdict"))
        failed += e.get("verdict") == "failed"
        if e.get("value_number") is not None and \
                e.get("value_unit") not in ("count", "s", "percent"):
            errs.append("bad value_unit %r" % e.get("value_unit"))
        if e.get("verdict") == "not_reached" and e.get("value") is not None:
            errs.append("not_reached with a value: %r" % e)
    if failed != s["expectations_failed"]:
        errs.append("expectations_failed %d, counted %d" %
                    (s["expectations_failed"], failed))
    db = sqlite3.connect("file:%s/fleet.db?mode=ro" % d, uri=True)
    for i, dep in enumerate(s["deployments"]):
        for k, t in DEP.items():
            if not typed(dep.get(k), t):
                errs.append("deployments[%d].%s: %r" % (i, k, dep.get(k)))
        for k in TIMES:
            if k not in dep or not (dep[k] is None or typed(dep[k], NUM)):
                errs.append("deployments[%d].%s: %r" % (i, k, dep.get(k)))
        if errs:
            continue
        if dep["state"] not in STATES:
            errs.append("deployments[%d].state %r" % (i, dep["state"]))
        if not dep["confirmed"] <= dep["targets"] or \
                not dep["offered"] <= dep["targets"] or \
                not dep["waves_opened"] <= dep["waves"]:
            errs.append("deployments[%d]: counts out of range" % i)
        t = [dep[k] for k in TIMES]
        if any(a is not None and b is not None and a > b
               for a, b in zip(t, t[1:])) or \
                any(a is None and b is not None for a, b in zip(t, t[1:])):
            errs.append("deployments[%d]: times not ordered %r" % (i, t))
        q = lambda sql: db.execute(sql, (i,)).fetchone()[0]
        n_off = q("SELECT count(*) FROM device_deployments WHERE deployment=?"
                  " AND offered_us IS NOT NULL")
        n_rb = q("SELECT count(*) FROM device_deployments WHERE deployment=?"
                 " AND failed<>0 AND fail_result='rolled_back'")
        n_fail = q("SELECT count(*) FROM device_deployments WHERE "
                   "deployment=? AND failed<>0") - n_rb
        n_halt = q("SELECT count(*) FROM events WHERE name='halted' AND "
                   "deployment=?")
        n_wave = q("SELECT count(*) FROM events WHERE name='wave_opened' AND "
                   "deployment=?")
        for k, v in (("offered", n_off), ("rolled_back", n_rb),
                     ("failed", n_fail), ("halts", n_halt),
                     ("waves_opened", n_wave)):
            if dep[k] != v:
                errs.append("deployments[%d].%s %d, fleet.db says %d" %
                            (i, k, dep[k], v))
    n_db = db.execute("SELECT count(*) FROM events WHERE name="
                      "'deployment_started'").fetchone()[0]
    started = sum(1 for d_ in s["deployments"] if d_["state"] != "pending")
    if started != n_db:
        errs.append("%d deployments started, fleet.db says %d" %
                    (started, n_db))
    return errs


def main():
    bad = 0
    for d in sys.argv[1:]:
        try:
            errs = check(d)
        except (OSError, ValueError, sqlite3.Error) as e:
            errs = [str(e)]
        for e in errs:
            print("%s/summary.json: %s" % (d, e))
        bad += bool(errs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
