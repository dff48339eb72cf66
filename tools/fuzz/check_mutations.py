#!/usr/bin/env python3
"""Random mutations of the shipped device map and gateway config, run through `kiln check`.

Usage: check_mutations.py KILN COUNT SEED [--repo DIR] [--failures DIR]

Each mutation (byte flips, line deletions and duplications, key swaps, numbers made huge,
negative, fractional or overflowing, duplicate and empty keys, type confusions, truncation, deep
nesting, alias bombs, unicode) plus a fixed set of special cases (special files reached through
`devices:` entries and globs, a file over the size limit, overflowing durations, duplicate
keys) is written to a temp folder and checked. A run fails when `kiln check` dies from a signal,
exits other than 0 or 1, exits 1 without a `FILE:LINE:COLUMN: error:` line, takes 2 s or more,
or peaks at 200 MB RSS or more. Every failing input is saved under --failures. Standard library
only.
"""
import argparse
import os
import random
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time

TIME_LIMIT = 2.0
RSS_LIMIT_KB = 200 * 1024
ERROR_LINE = re.compile(rb"^[^\n:]+:\d+:\d+: error: ", re.MULTILINE)
HUGE = ["10000000000", "99999999999999999999999", "-1", "-99999999999", "1e400", "1.5", "0",
        "0x7fffffffffffffff", "0xFFFFFFFFFFFFFFFFFF", "9223372036854775808", "-9223372036854775809",
        ".inf", "-.inf", ".nan", "1e-400", "00000000000000000000001", "4294967296", "65536"]
UNITS = ["ms", "s", "m", "h", "d", "us", "", " s", "sec"]
WEIRD = ["~", "null", "[]", "{}", "[1, 2]", "{a: 1}", "''", "\"\"", "true", "yes", "&a x", "*a",
         "!!binary AAAA", "|\n  text", "\u00e9\u00e8", "\U0001F525", "\u202e", "\x00", "-", "? x"]


def run(kiln, path, cwd):
    """Runs `kiln check path`; returns (status, signal, seconds, max RSS kB, stderr)."""
    start = time.monotonic()
    err_path = os.path.join(cwd, ".stderr")
    with open(err_path, "wb") as err, open(os.devnull, "wb") as out:
        pid = os.fork()
        if pid == 0:
            try:
                os.chdir(cwd)
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                os.execv(kiln, [kiln, "check", path])
            finally:
                os._exit(127)
        deadline = start + TIME_LIMIT * 5
        while True:
            wpid, status, usage = os.wait4(pid, os.WNOHANG)
            if wpid == pid:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                wpid, status, usage = os.wait4(pid, 0)
                break
            time.sleep(0.002)
    seconds = time.monotonic() - start
    with open(err_path, "rb") as f:
        stderr = f.read(1 << 20)
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    return code, sig, seconds, usage.ru_maxrss, stderr


# MARK: mutations

def lines_of(text):
    return text.split("\n")


def mutate_bytes(text, rng):
    data = bytearray(text.encode())
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(data))
        choice = rng.random()
        if choice < 0.5:
            data[i] ^= 1 << rng.randrange(8)
        elif choice < 0.75:
            data[i] = rng.choice(b":-[]{}&*!|>#'\"\t\n ,?%@`0123456789")
        else:
            del data[i]
    return bytes(data)


def mutate_lines(text, rng):
    lines = lines_of(text)
    for _ in range(rng.randint(1, 5)):
        i = rng.randrange(len(lines))
        op = rng.random()
        if op < 0.4:
            del lines[i]
        elif op < 0.8:
            lines.insert(i, lines[i])
        else:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        if not lines:
            lines = [""]
    return "\n".join(lines).encode()


def mutate_numbers(text, rng):
    numbers = list(re.finditer(r"(?<![\w.])-?\d+(\.\d+)?(?=(ms|s|m|h|d)?\b)", text))
    if not numbers:
        return text.encode()
    for m in rng.sample(numbers, min(len(numbers), rng.randint(1, 4))):
        value = rng.choice(HUGE)
        text = text[:m.start()] + value + text[m.end():] if len(text) > m.end() else text
        break
    return text.encode()


def mutate_durations(text, rng):
    durations = list(re.finditer(r"\b(\d+(\.\d+)?)(ms|s|m|h|d)\b", text))
    if not durations:
        return text.encode()
    m = rng.choice(durations)
    value = rng.choice(HUGE + ["1" + "0" * rng.randint(10, 400)]) + rng.choice(UNITS)
    return (text[:m.start()] + value + text[m.end():]).encode()


def mutate_keys(text, rng):
    lines = lines_of(text)
    keyed = [i for i, l in enumerate(lines) if re.match(r"^\s*(- )?[\w<]+:", l)]
    if not keyed:
        return text.encode()
    i = rng.choice(keyed)
    op = rng.randrange(5)
    indent = re.match(r"^(\s*)(- )?", lines[i])
    pad = " " * len(indent.group(0))
    if op == 0:  # duplicate the key line just after
        lines.insert(i + 1, pad + lines[i].lstrip()[2:] if indent.group(2) else lines[i])
    elif op == 1:  # an empty key, twice
        lines.insert(i + 1, pad + '"": 1')
        lines.insert(i + 1, pad + '"": 1')
    elif op == 2:  # swap a key name with another key's
        j = rng.choice(keyed)
        ki = re.search(r"[\w<]+(?=:)", lines[i]).group(0)
        kj = re.search(r"[\w<]+(?=:)", lines[j]).group(0)
        lines[i] = lines[i].replace(ki + ":", kj + ":", 1)
    elif op == 3:  # null, non-scalar or alias keys
        lines.insert(i + 1, pad + rng.choice(["~: 1", "null: 2", "? [a, b]\n" + pad + ": 1",
                                             "? {a: 1}\n" + pad + ": 2", "*undefined : 3", ": 4"]))
    else:  # type confusion on the value
        lines[i] = re.sub(r":.*$", ": " + rng.choice(WEIRD), lines[i], count=1)
    return "\n".join(lines).encode()


def mutate_truncate(text, rng):
    data = text.encode()
    return data[:rng.randrange(len(data))]


def mutate_nesting(text, rng):
    depth = rng.choice([50, 500, 999, 1001, 5000, 100000])
    kind = rng.randrange(3)
    if kind == 0:
        nest = "[" * depth + "]" * depth
    elif kind == 1:
        nest = "{a: " * depth + "1" + "}" * depth
    else:
        nest = "\n".join(" " * i + "a:" for i in range(min(depth, 3000))) + " 1"
        return (text + "\nx-deep:\n" + nest.replace("\n", "\n  ")).encode()
    lines = lines_of(text)
    i = rng.randrange(len(lines))
    lines[i] = re.sub(r":.*$", ": " + nest, lines[i], count=1) if ":" in lines[i] else lines[i]
    return "\n".join(lines).encode()


def mutate_aliases(text, rng):
    levels = rng.randint(3, 10)
    bomb = ['x-a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels):
        bomb.append(f"x-a{n}: &a{n} [" + ", ".join([f"*a{n-1}"] * 10) + "]")
    where = rng.randrange(3)
    if where == 0:
        bomb.append(f"x-use: *a{levels-1}")
    elif where == 1:
        bomb.append(f"? *a{levels-1}\n: 1")
    else:
        bomb.append(f"x-m: &m {{k: *a{levels-1}}}\nx-n: {{<<: [*m, *m, *m]}}")
    return (text + "\n" + "\n".join(bomb) + "\n").encode()


def mutate_unicode(text, rng):
    data = list(text)
    for _ in range(rng.randint(1, 6)):
        i = rng.randrange(len(data))
        data.insert(i, rng.choice(["\u00e9", "\u200b", "\ufeff", "\U0001F525", "\u0000", "\ud7ff",
                                   "\u2028", "\u0660", "\uff11", "\u00bd"]))
    return "".join(data).encode("utf-8", "surrogatepass")


MUTATORS = [mutate_bytes, mutate_lines, mutate_numbers, mutate_durations, mutate_keys,
            mutate_truncate, mutate_nesting, mutate_aliases, mutate_unicode]


def special_cases(folder, plant, config):
    """(name, files {relative path: bytes or None for made-by-hand}, file to check)."""
    cases = []
    fifo_dir = os.path.join(folder, "fifo")
    def gateway(entries, historian="history.sqlite"):
        body = "devices:\n" + "".join(f"  - {e}\n" for e in entries)
        if historian:
            body += f"historian:\n  path: {historian}\n"
        return body.encode()
    cases.append(("dev-zero", {"kiln.yaml": gateway(["/dev/zero"])}, "kiln.yaml"))
    cases.append(("dev-null", {"kiln.yaml": gateway(["/dev/null"])}, "kiln.yaml"))
    cases.append(("dev-glob", {"kiln.yaml": gateway(["/dev/zer*", "/dev/ur*"])}, "kiln.yaml"))
    cases.append(("proc-self", {"kiln.yaml": gateway(["/proc/self/*"])}, "kiln.yaml"))
    cases.append(("proc-mem", {"kiln.yaml": gateway(["/proc/self/mem", "/proc/self/environ"])}, "kiln.yaml"))
    cases.append(("folder", {"kiln.yaml": gateway(["/tmp"]), }, "kiln.yaml"))
    cases.append(("fifo", {"kiln.yaml": gateway(["maps/*"]), "maps/pipe": "fifo"}, "kiln.yaml"))
    cases.append(("huge-file", {"kiln.yaml": gateway(["maps/*.yaml"]), "maps/big.yaml": "huge"}, "kiln.yaml"))
    cases.append(("largest-map", {"map.yaml": "largest"}, "map.yaml"))
    cases.append(("dense-nodes", {"map.yaml": "dense"}, "map.yaml"))
    cases.append(("missing-historian", {"kiln.yaml": gateway(["maps/*.yaml"], "nowhere/h.sqlite"),
                                        "maps/plant.yaml": plant}, "kiln.yaml"))
    cases.append(("config-is-dev-zero", {}, "/dev/zero"))
    cases.append(("config-is-fifo", {"pipe": "fifo"}, "pipe"))
    for text in ["poll: 10000000000s", "retention: 99999999999d", "poll: 99999999999999999999ms",
                 "timeout: 1e400s", "poll: -1s", "timeout: 18446744073709551616ms"]:
        key, value = text.split(": ")
        target = config if key == "retention" else plant
        pattern = rf"\b{key}: \S+"
        mutated = re.sub(pattern.encode(), text.encode(), target, count=1)
        name = "overflow-" + re.sub(r"\W", "_", text)
        if key == "retention":
            cases.append((name, {"config/kiln.yaml": mutated, "devices/plant.yaml": plant}, "config/kiln.yaml"))
        else:
            cases.append((name, {"map.yaml": mutated}, "map.yaml"))
    cases.append(("empty-key-twice", {"map.yaml": b'devices:\n  - "": 1\n    "": 2\n'}, "map.yaml"))
    cases.append(("empty-plain-key-twice", {"map.yaml": b"devices:\n  - : 1\n    : 2\n"}, "map.yaml"))
    cases.append(("null-key-twice", {"map.yaml": b"devices:\n  - ~: 1\n    ~: 2\n"}, "map.yaml"))
    cases.append(("flow-key-twice", {"map.yaml": b"{devices: [{name: a, name: b}]}\n"}, "map.yaml"))
    return cases


def write_largest(f, limit=4 * 1024 * 1024 - 4096):
    """A valid map just under the 4 MB limit: 50 registers of tags per device, devices repeated."""
    f.write(b"devices:\n")
    size, n = 9, 0
    while True:
        lines = [f"  - name: d{n}\n    host: 127.0.0.1\n    port: {1 + n % 65535}\n    poll: 1s\n    tags:\n"]
        for t in range(25):
            lines.append(f"      - {{ name: t{t}, register: holding, address: {2 * t}, type: float32 }}\n")
        chunk = "".join(lines).encode()
        if size + len(chunk) > limit:
            return
        f.write(chunk)
        size += len(chunk)
        n += 1


def materialize(folder, files):
    for rel, data in files.items():
        path = os.path.join(folder, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if data == "fifo":
            os.mkfifo(path)
        elif data == "largest":
            with open(path, "wb") as f:
                write_largest(f)
        elif data == "dense":
            with open(path, "wb") as f:
                f.write(b"devices: []\nx-dense: [")
                for _ in range(60):
                    f.write(b"1," * 32768)
                f.write(b"1]\n")
        elif data == "huge":
            # Written in pieces: this process's resident size at fork counts in the child's
            # ru_maxrss, so the runner itself must stay small.
            with open(path, "wb") as f:
                f.write(b"devices: []\n")
                for _ in range(9 * 16):
                    f.write(b"#" + b"x" * (64 * 1024 - 2) + b"\n")
        else:
            with open(path, "wb") as f:
                f.write(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kiln")
    parser.add_argument("count", type=int)
    parser.add_argument("seed", type=int)
    parser.add_argument("--repo", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    parser.add_argument("--failures", default="check-mutation-failures")
    parser.add_argument("--time-limit", type=float, default=2.0, help="seconds per run (default 2)")
    parser.add_argument("--rss-limit-mb", type=int, default=200, help="peak RSS per run (default 200)")
    args = parser.parse_args()
    global TIME_LIMIT, RSS_LIMIT_KB
    TIME_LIMIT = args.time_limit
    RSS_LIMIT_KB = args.rss_limit_mb * 1024
    kiln = os.path.abspath(args.kiln)
    with open(os.path.join(args.repo, "devices/plant.yaml"), "rb") as f:
        plant = f.read()
    with open(os.path.join(args.repo, "config/kiln.yaml"), "rb") as f:
        config = f.read()
    rng = random.Random(args.seed)
    results = []
    failures = []
    work = tempfile.mkdtemp(prefix="kiln-mutations-")
    try:
        def jobs():
            # Made one at a time, so the runner stays small (see `materialize`).
            yield from special_cases(work, plant, config)
            for n in range(args.count):
                mutator = rng.choice(MUTATORS)
                if rng.random() < 0.7:
                    source = plant.decode()
                    files = {"devices/plant.yaml": None}
                    target = "devices/plant.yaml"
                else:
                    source = config.decode()
                    files = {"devices/plant.yaml": plant, "config/kiln.yaml": None}
                    target = "config/kiln.yaml"
                mutated = mutator(source, rng)
                if rng.random() < 0.2:
                    mutated = MUTATORS[rng.randrange(len(MUTATORS))](mutated.decode("utf-8", "replace"), rng)
                files = {k: (mutated if v is None else v) for k, v in files.items()}
                yield (f"{n:04d}-{mutator.__name__}", files, target)
        for name, files, target in jobs():
            folder = os.path.join(work, name)
            os.makedirs(folder)
            materialize(folder, files)
            code, sig, seconds, rss, stderr = run(kiln, target, folder)
            results.append((name, code, sig, seconds, rss))
            problems = []
            if sig is not None:
                problems.append(f"killed by signal {sig}")
            elif code not in (0, 1):
                problems.append(f"exit {code}")
            elif code == 1 and not ERROR_LINE.search(stderr):
                problems.append("exit 1 without a FILE:LINE:COLUMN: error: line")
            if seconds >= TIME_LIMIT:
                problems.append(f"took {seconds:.2f} s")
            if rss >= RSS_LIMIT_KB:
                problems.append(f"peak RSS {rss // 1024} MB")
            if problems:
                failures.append((name, problems))
                saved = os.path.join(args.failures, name)
                shutil.rmtree(saved, ignore_errors=True)
                os.makedirs(saved, exist_ok=True)
                for rel, data in files.items():
                    if isinstance(data, bytes) and len(data) < (1 << 20):
                        path = os.path.join(saved, rel)
                        os.makedirs(os.path.dirname(path), exist_ok=True)
                        with open(path, "wb") as f:
                            f.write(data)
                with open(os.path.join(saved, "problem.txt"), "w") as f:
                    f.write(f"kiln check {target}\n" + "\n".join(problems) + "\n")
                    f.write(stderr.decode("utf-8", "replace")[-4000:])
                print(f"FAIL {name}: {'; '.join(problems)}", flush=True)
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    times = [r[3] for r in results]
    exits = {}
    for r in results:
        key = f"signal {r[2]}" if r[2] is not None else f"exit {r[1]}"
        exits[key] = exits.get(key, 0) + 1
    print(f"runs: {len(results)} ({args.count} mutations, {len(results) - args.count} special cases), seed {args.seed}")
    print("exits: " + ", ".join(f"{k}: {v}" for k, v in sorted(exits.items())))
    slowest = max(results, key=lambda r: r[3])
    largest = max(results, key=lambda r: r[4])
    print(f"time: median {statistics.median(times):.3f} s, max {slowest[3]:.3f} s ({slowest[0]})")
    print(f"peak RSS: median {statistics.median(r[4] for r in results) / 1024:.1f} MB, "
          f"max {largest[4] / 1024:.1f} MB ({largest[0]})")
    print(f"failures: {len(failures)}" + (f" (inputs saved in {args.failures})" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
