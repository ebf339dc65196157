#!/usr/bin/env python3
"""tests/fuzz/mutate.py - mutation fuzz loop for `fleetsim validate`.

usage: tests/fuzz/mutate.py FLEETSIM_BINARY ITERATIONS SEED FILE...

Mutates the given scenario files (byte flips, line deletions, duplications,
splices, interesting tokens) and runs `FLEETSIM validate` on each mutant.
Any exit status other than 0 or 2 (a crash, a sanitizer report, a signal)
is a failure: the mutant is kept in /tmp/fleetsim-fuzz-crash-N.yaml.
"""
import random
import subprocess
import sys
import tempfile

TOKENS = [b"[", b"]", b"{", b"}", b":", b"- ", b"&a ", b"*a", b"!!str ",
          b"99999999999999999999", b"-1", b"100.5%", b"0", b"\xff", b"\x00",
          b"'", b'"', b"|", b">", b"\n  ", b"14d", b"4MiB", b"os-1", b"~",
          b"at: 1h", b"1e9", b"--- ", b"...", b"\t", b"%"]


def mutate(rng, data, corpus):
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        pos = rng.randrange(len(out) + 1)
        if op == 0 and out:
            out[rng.randrange(len(out))] = rng.randrange(256)
        elif op == 1:
            out[pos:pos] = rng.choice(TOKENS)
        elif op == 2 and out:
            end = min(len(out), pos + rng.randint(1, 40))
            del out[pos:end]
        elif op == 3:
            lines = out.split(b"\n")
            i = rng.randrange(len(lines))
            lines.insert(rng.randrange(len(lines) + 1), lines[i])
            out = bytearray(b"\n".join(lines))
        elif op == 4:
            other = rng.choice(corpus)
            a = rng.randrange(len(other) + 1)
            out[pos:pos] = other[a:a + rng.randint(1, 200)]
        else:
            lines = out.split(b"\n")
            del lines[rng.randrange(len(lines))]
            out = bytearray(b"\n".join(lines))
    return bytes(out)


def main():
    binary, iterations, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    corpus = [open(f, "rb").read() for f in sys.argv[4:]]
    rng = random.Random(seed)
    counts = {0: 0, 2: 0}
    bad = 0
    with tempfile.NamedTemporaryFile(suffix=".yaml") as tmp:
        for i in range(iterations):
            data = mutate(rng, rng.choice(corpus), corpus)
            tmp.seek(0)
            tmp.truncate()
            tmp.write(data)
            tmp.flush()
            r = subprocess.run([binary, "validate", tmp.name],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
            if r.returncode in counts and b"Sanitizer" not in r.stderr:
                counts[r.returncode] += 1
                continue
            bad += 1
            path = "/tmp/fleetsim-fuzz-crash-%d.yaml" % i
            open(path, "wb").write(data)
            print("iteration %d: status %d, kept %s\n%s" %
                  (i, r.returncode, path, r.stderr.decode(errors="replace")))
    print("%d valid, %d rejected, %d crashes" % (counts[0], counts[2], bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
