#!/usr/bin/env python3
# tests/browser-check.py - report.html, compare.html and sweep.html opened in a real
# browser (headless Chromium), as `make test` runs it.
#
# Owns: running a few scenarios (a three-wave rollout with a halt, an
# attack scenario, two rollout policies compared, a merged sweep of three
# seeds: sweep.html, which has no charts), opening each page in
# Debian's chromium and failing on a console error, any request the page
# makes (other than the file itself), a chart without data points, or
# horizontal overflow at 420 px; the screenshots kept in OUT (default
# build/browser/); and the negative checks proving each of those checks
# can fail (a copy of a page with a console.error, a wide element, an empty
# chart, a request injected must each be caught).
# Invariants: python3 standard library only; the pages are checked as
# written except for a test copy with the check script added; nothing is
# fetched from the network (the browser's own background requests are told
# apart from the page's by their initiator).
# Does not: install chromium (the Makefile does, as root), or change the
# reports.
#
# usage: tests/browser-check.py BUILD/fleetsim [OUT]
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
WIDTH = 420

# Runs before anything of the page: records console.error calls and load
# or script errors so that the check at the end can report them.
HEAD_JS = """<script>
window.__fsErr = [];
(function () {
  var ce = console.error;
  console.error = function () {
    window.__fsErr.push("console.error: " +
      Array.prototype.join.call(arguments, " "));
    return ce.apply(console, arguments);
  };
  window.addEventListener("error", function (e) {
    var t = e.target || {};
    window.__fsErr.push("error: " + (e.message || t.src || t.href ||
      t.tagName || "?"));
  }, true);
  window.addEventListener("unhandledrejection", function (e) {
    window.__fsErr.push("unhandled rejection: " + e.reason);
  });
})();
</script>"""

# Runs at load: lays the page out 420 px wide (headless Chromium will not
# make a window narrower than 500 px), finds the right-most edge of
# anything not inside a scrolling box, counts chart points, lists the
# resources the page loaded, and writes one line into the DOM.
END_JS = """<script>
window.addEventListener("load", function () {
  var W = %d, root = document.documentElement;
  root.style.width = W + "px";
  void root.offsetWidth;
  var maxr = 0, wide = "";
  document.querySelectorAll("body *").forEach(function (e) {
    for (var a = e.parentElement; a && a !== document.body;
         a = a.parentElement) {
      var ox = getComputedStyle(a).overflowX;
      if (ox !== "visible") return;
    }
    var r = e.getBoundingClientRect();
    if (r.right > maxr) { maxr = r.right; wide = e.tagName + "." +
      (e.getAttribute("class") || ""); }
  });
  var charts = document.querySelectorAll("svg.chart"), empty = 0, pts = 0;
  charts.forEach(function (s) {
    var n = s.querySelectorAll("circle.pt").length;
    pts += n; if (n === 0) empty++;
  });
  var res = performance.getEntriesByType("resource").map(function (e) {
    return e.name; });
  var out = document.createElement("pre");
  out.id = "fs-check";
  out.textContent = "FSCHECK " + JSON.stringify({charts: charts.length,
    empty: empty, points: pts, maxright: Math.ceil(maxr), widest: wide,
    resources: res, errors: window.__fsErr});
  document.body.appendChild(out);
});
</script>""" % WIDTH

STATIC = [
    (r"https?://", "a URL to another site"),
    (r"\bsrc\s*=", "a src= attribute"),
    (r"\bhref\s*=", "an href= attribute"),
    (r"url\(", "a CSS url()"),
    (r"@import", "a CSS @import"),
]

BASE_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
              "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--disable-default-apps", "--hide-scrollbars",
              "--host-resolver-rules=MAP * ~NOTFOUND"]


def chromium(args, tmp, timeout=120):
    """Run chromium with its own profile; (stdout, stderr)."""
    prof = tempfile.mkdtemp(dir=tmp, prefix="profile-")
    p = subprocess.run([CHROMIUM] + BASE_FLAGS +
                       ["--user-data-dir=" + prof] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return (p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def page_requests(netlog):
    """URLs the page itself asked for (initiator: the file's origin)."""
    try:
        with open(netlog, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return ["(no net log written)"]
    try:
        data = json.loads(text)
    except ValueError:
        # A log cut short at exit: close the events array and object.
        try:
            data = json.loads(text.rstrip().rstrip(",") + "]}")
        except ValueError:
            return ["(net log unreadable)"]
    urls = []
    for e in data.get("events", []):
        p = e.get("params") or {}
        ini = p.get("initiator")
        if "url" in p and ini is not None and (ini == "null" or
                                               ini.startswith("file:")):
            if p["url"] not in urls:
                urls.append(p["url"])
    return urls


def check_page(path, tmp, charts=True):
    """Problems of the page at path: a list of (kind, text); charts: the
    page must have charts (the sweep page has none)."""
    probs = []
    with open(path, encoding="utf-8") as f:
        html = f.read()
    for rx, what in STATIC:
        m = re.search(rx, html)
        if m:
            probs.append(("static", "%s: ...%s..." % (
                what, html[max(0, m.start() - 30):m.end() + 30])))
    copy = os.path.join(tmp, "check-" + os.path.basename(path))
    test = html.replace("<head>", "<head>" + HEAD_JS, 1)
    test = test.replace("</body>", END_JS + "</body>", 1)
    with open(copy, "w", encoding="utf-8") as f:
        f.write(test)
    netlog = copy + ".netlog.json"
    dom, err = chromium(["--window-size=%d,900" % WIDTH,
                         "--virtual-time-budget=5000",
                         "--enable-logging=stderr", "--v=0",
                         "--log-net-log=" + netlog,
                         "--dump-dom", "file://" + copy], tmp)
    for line in err.splitlines():
        if ":CONSOLE" in line:
            probs.append(("console", line.strip()))
    m = re.search(r"FSCHECK (\{.*?\})</pre>", dom)
    if m is None:
        probs.append(("script", "the check script did not report"))
        return probs
    r = json.loads(m.group(1).replace("&amp;", "&").replace("&lt;", "<")
                   .replace("&gt;", ">").replace("&quot;", '"'))
    for e in r["errors"]:
        probs.append(("console", e))
    if r["charts"] == 0 and charts:
        probs.append(("nopoints", "no chart at all"))
    if r["empty"] > 0:
        probs.append(("nopoints", "%d of %d charts without data points" %
                      (r["empty"], r["charts"])))
    if r["maxright"] > WIDTH:
        probs.append(("overflow", "wider than %d px: %d px (%s)" %
                      (WIDTH, r["maxright"], r["widest"])))
    for u in r["resources"]:
        probs.append(("request", "the page loaded " + u))
    for u in page_requests(netlog):
        probs.append(("request", "net log: the page requested " + u))
    probs.append(("info", "%d charts, %d points" % (r["charts"],
                                                    r["points"])))
    return probs


def screenshots(path, name, out, tmp):
    chromium(["--window-size=1200,2400", "--screenshot=" +
              os.path.join(out, name + "-1200.png"), "file://" + path], tmp)
    # The narrow shot: the page laid out 420 px wide (see END_JS).
    with open(path, encoding="utf-8") as f:
        html = f.read()
    narrow = os.path.join(tmp, "narrow-" + name + ".html")
    with open(narrow, "w", encoding="utf-8") as f:
        f.write(html.replace("</head>", "<style>html{width:%dpx;"
                             "border-right:1px dashed red}</style></head>"
                             % WIDTH, 1))
    chromium(["--window-size=%d,2400" % WIDTH, "--screenshot=" +
              os.path.join(out, name + "-420.png"), "file://" + narrow], tmp)


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode not in (0, 1):
        sys.exit("browser-check: %s exited %d:\n%s" % (
            " ".join(cmd), p.returncode, p.stdout.decode()))


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: tests/browser-check.py BUILD/fleetsim [OUT]")
    fleetsim = os.path.abspath(sys.argv[1])
    out = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else
                          os.path.join(ROOT, "build", "browser"))
    if not os.access(CHROMIUM, os.X_OK):
        sys.exit("browser-check: %s missing: run 'make browser-deps' as "
                 "root (apt-get install chromium)" % CHROMIUM)
    os.makedirs(out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="fleetsim-browser-")
    failed = 0

    def check(name, ok, detail=""):
        nonlocal failed
        print("%s: %s%s" % ("ok" if ok else "FAILED", name,
                            (" (" + detail + ")") if detail else ""))
        if not ok:
            failed += 1

    halt = os.path.join(ROOT, "tests", "browser", "rollout-halt.yaml")
    # Policy B: the same rollout with a halt rule that does not trip.
    with open(halt, encoding="utf-8") as f:
        nohalt_text = f.read().replace("failure_rate: 3%", "failure_rate: 10%")
    nohalt = os.path.join(tmp, "rollout-nohalt.yaml")
    with open(nohalt, "w", encoding="utf-8") as f:
        f.write(nohalt_text)
    attack = os.path.join(ROOT, "scenarios", "attacks", "leaked-key.yaml")
    for scn, d in ((halt, "halt"), (nohalt, "nohalt"), (attack, "attack")):
        run([fleetsim, "run", scn, "--quiet", "--out", os.path.join(tmp, d)])
    db = {d: os.path.join(tmp, d, "fleet.db") for d in ("halt", "nohalt")}
    cmp_html = os.path.join(tmp, "compare.html")
    run([fleetsim, "report", db["halt"], db["nohalt"], "-o", cmp_html])
    again = os.path.join(tmp, "again.html")
    run([fleetsim, "report", db["halt"], "-o", again])
    with open(again, "rb") as a, \
            open(os.path.join(tmp, "halt", "report.html"), "rb") as b:
        check("report DB -o X is the run's report.html", a.read() == b.read())

    # A sweep: three seeds of a small rollout with an attack, merged.
    tamper = os.path.join(ROOT, "scenarios", "attacks",
                          "tamper-in-transit.yaml")
    seeds = []
    for s in (1, 2, 3):
        d = os.path.join(tmp, "seed%d" % s)
        run([fleetsim, "run", tamper, "--quiet", "--seed", str(s), "--out", d])
        seeds.append(os.path.join(d, "fleet.db"))
    merged = os.path.join(tmp, "sweep.db")
    run([fleetsim, "merge", merged] + seeds)
    run([fleetsim, "report", merged])
    sweep_html = os.path.join(tmp, "sweep.html")

    pages = [("rollout-halt", os.path.join(tmp, "halt", "report.html")),
             ("attack-leaked-key", os.path.join(tmp, "attack",
                                                "report.html")),
             ("compare-policies", cmp_html),
             ("sweep", sweep_html)]
    for name, path in pages:
        probs = check_page(path, tmp, charts=name != "sweep")
        bad = [p for p in probs if p[0] != "info"]
        info = "; ".join(p[1] for p in probs if p[0] == "info")
        check(name + " opens cleanly in chromium", not bad,
              "; ".join(p[1] for p in bad) or info)
        screenshots(path, name, out, tmp)
        check(name + " screenshots",
              all(os.path.getsize(os.path.join(out, name + s)) > 0
                  for s in ("-1200.png", "-420.png")))

    # Negative checks: each defect injected into a copy must be caught.
    base = pages[0][1]
    with open(base, encoding="utf-8") as f:
        html = f.read()
    bad_pages = [
        ("console", "a console.error",
         "<script>console.error('injected')</script></body>"),
        ("overflow", "a 900 px element",
         "<div style=\"width:900px\">wide</div></body>"),
        ("nopoints", "a chart without points",
         "<svg class=\"chart\" viewBox=\"0 0 10 10\"></svg></body>"),
        ("request", "a request",
         "<script>fetch('http://127.0.0.1:9/x').catch(function(){})"
         "</script></body>"),
    ]
    for kind, what, tail in bad_pages:
        p = os.path.join(tmp, "bad-%s.html" % kind)
        with open(p, "w", encoding="utf-8") as f:
            f.write(html.replace("</body>", tail, 1))
        kinds = [k for k, _ in check_page(p, tmp)]
        check("a page with %s fails the check" % what, kind in kinds,
              ", ".join(sorted(set(kinds))))
    shutil.rmtree(tmp, ignore_errors=True)
    print("browser-check: %s; screenshots in %s" %
          ("%d failed" % failed if failed else "all passed", out))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
