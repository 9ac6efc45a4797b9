#!/bin/sh
# Crash safety of apply and revert (issue 7): fail, or kill, each write step in turn.
#
# Every step that changes the tree goes through fault_point() (src/basic/fileio.h):
# GPT_BOOTCFG_FAULT_LOG lists the steps of a run, GPT_BOOTCFG_FAULT_AT=N makes the Nth
# one fail with EIO, or, with GPT_BOOTCFG_FAULT_MODE=kill, kills the process with SIGKILL
# right before it (a crash or power cut at that point; fsync is always ahead of it).
#
# Scenarios, each with mode fail and mode kill, on the guide's server with the config of
# test-apply.sh (four devices, a VM autostarted):
#   apply --yes              a first apply, which arms a trial boot
#   apply --yes --no-trial   a first apply straight to the default entry
#   revert                   after each of the two applies
# First a clean run of the command counts its N steps; then for i in 1..N a fresh copy of
# the starting tree gets the command with step i faulted, and these must hold:
#   (a) consistent: the tree is the starting tree, or the finished one, or every path that
#       differs from the fixture is named by the state file (as "file", "link", "extra",
#       "block" (/etc/qemu/bridge.conf, the VM is on a bridge), "dir" or the backup of a
#       "backup" line) or is the state file itself, found at its
#       place or on its way there (DIR/.gpt-bootcfg-state, managed.c). That is exactly
#       what revert undoes; the contents of named paths are not constrained here, (d)
#       shows they are ones revert and apply handle.
#   (b) every path of the fixture (the user's files, the config) is as it was: type, mode,
#       link target, contents.
#   (c) temporary files (NAME.PID.gpt-bootcfg-tmp): none after a failure (the error path
#       removes its own); after a kill at most the one the killed step was writing; (d)
#       then shows the next run removes it.
#   (d) the same command run again (no fault) exits 0 and gives the finished tree, the
#       one of a clean run. For apply, that tree reverts to the fixture byte for byte
#       (checked once per scenario: revert sees the same tree, so does the same); the
#       revert scenarios fault every step of that revert.
# The exit status is checked as well: 2 (an error reported, none swallowed) after a
# failure, SIGKILL after a kill.
# "The finished tree" and "byte for byte" compare type, mode, link target and contents of
# every path; the trial state's armed-time/decided-time lines (seconds of the wall clock)
# are left out. The tool's behaviour depends only on the tree, so (d) runs once per
# distinct faulted tree (temporary files' PIDs masked); the counts are printed. Mode kill
# skips the steps that are an fsync: a kill there leaves the tree a kill at the next step
# leaves (a lost page cache, as in a power cut, is not simulated; mode fail covers the
# fsync error paths).
#
# Speed: the tree is the fixture with /sys and /proc reduced to what the tool reads (a
# snapshot); a clean apply on it gives the same files as on the full fixture (checked
# first). Work trees live on /dev/shm when there is one: fsync costs nothing there.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server
command -v grub-editenv >/dev/null ||
	{ echo "Bail out! grub-editenv is missing: apt-get install grub-common (tests/deps.txt)"; exit 1; }
command -v python3 >/dev/null || { echo "Bail out! python3 is missing (tests/deps.txt)"; exit 1; }

conf() { # conf ROOT: the guide's devices, VM autostarted, on a bridge
	guide_conf yes "network = bridge:br0" | write_conf "$1"
}

WORK=$TAP_TMP
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	WORK=$(mktemp -d /dev/shm/gpt-bootcfg-fault.XXXXXX)
	trap 'rm -rf "$WORK"' EXIT
fi

# The reduced tree: a snapshot's /sys and /proc, everything else from the fixture.
"$GPT_BOOTCFG" --root "$TOP/tests/fixtures/guide-server" snapshot "$WORK/snap.tar" 2>"$TAP_TMP/err.txt"
is "$?" 0 "snapshot of the fixture"
mkdir -p "$WORK/base"
tar -xf "$WORK/snap.tar" -C "$WORK/base"
for d in "$TOP"/tests/fixtures/guide-server/*; do
	case ${d##*/} in sys | proc) continue ;; esac
	mkdir -p "$WORK/base/${d##*/}"
	cp -a "$d/." "$WORK/base/${d##*/}/"
done
conf "$WORK/base"

# The reduced tree stands for the fixture: same files from a clean apply of each kind.
for args in "--yes" "--yes --no-trial"; do
	F=$(fixture_copy guide-server)
	conf "$F"
	rm -rf "$WORK/check" && cp -a "$WORK/base" "$WORK/check"
	# shellcheck disable=SC2086
	run_gen "$F" apply $args
	rc_full=$rc
	# shellcheck disable=SC2086
	run_gen "$WORK/check" apply $args
	is "$rc:$rc_full" "0:0" "apply $args on the full fixture and on the reduced tree"
	for t in "$F" "$WORK/check"; do
		(cd "$t" && find etc var boot -printf '%y %m %p -> %l\n' | LC_ALL=C sort &&
			find etc var boot -type f ! -path var/lib/gpt-bootcfg/trial -print0 |
			LC_ALL=C sort -z | xargs -0 sha256sum) >"$t.list"
	done
	ok "apply $args writes the same files on both" -- diff -u "$F.list" "$WORK/check.list"
	rm -rf "$F"
done

cat >"$TAP_TMP/fault.py" <<'PY'
import hashlib, json, os, re, shutil, subprocess, sys

bin_, base, work, scenario, mode = sys.argv[1:6]
args = sys.argv[6:]
TMP_RE = re.compile(r"^\.#.*\.[0-9]+\.gpt-bootcfg-tmp$")
STATE_RE = re.compile(r"(^|/)\.gpt-bootcfg-state$|^var/lib/gpt-bootcfg/state$")
TRIAL_STATE = "var/lib/gpt-bootcfg/trial"

def snap(root):
    """path -> (type, mode, link target, sha256) for everything below root."""
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            rel = os.path.relpath(p, root)
            # The lock of apply/revert (lock.h) is runtime state with the holder's pid.
            if rel in ("run/gpt-bootcfg", "run/gpt-bootcfg/bootcfg.lock"):
                continue
            st = os.lstat(p)
            if os.path.islink(p):
                out[rel] = ("l", 0o777, os.readlink(p), "")
                continue
            if os.path.isdir(p):
                out[rel] = ("d", st.st_mode & 0o7777, "", "")
                continue
            with open(p, "rb") as f:
                data = f.read()
            if rel == TRIAL_STATE:
                data = b"".join(l for l in data.splitlines(True)
                                if not re.match(rb"(armed|decided)-time=", l))
            out[rel] = ("f", st.st_mode & 0o7777, "", hashlib.sha256(data).hexdigest())
    return out

def mask(p):
    return re.sub(r"\.[0-9]+\.gpt-bootcfg-tmp$", ".PID.gpt-bootcfg-tmp", p)

def key(s):
    """A faulted tree's identity for running (d) once: temporary files' PIDs masked."""
    items = sorted((mask(p), v) for p, v in s.items())
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()

def diff(a, b):
    return sorted(p for p in set(a) | set(b) if a.get(p) != b.get(p))

def run(root, cmd, env_extra=None):
    env = dict(os.environ)
    for k in ("GPT_BOOTCFG_FAULT_AT", "GPT_BOOTCFG_FAULT_MODE", "GPT_BOOTCFG_FAULT_LOG"):
        env.pop(k, None)
    env.update(env_extra or {})
    p = subprocess.run([bin_, "--root", root] + cmd, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return p.returncode, p.stdout.decode(errors="replace")

def fresh(src, name):
    dst = os.path.join(work, name)
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, symlinks=True)
    return dst

def steps(root, cmd):
    log = os.path.join(work, "steps.log")
    if os.path.exists(log):
        os.unlink(log)
    rc, out = run(root, cmd, {"GPT_BOOTCFG_FAULT_LOG": log})
    if rc != 0:
        sys.exit("clean run of %s failed (%d):\n%s" % (cmd, rc, out))
    with open(log) as f:
        return [l.split(" ", 2)[1:] for l in f.read().splitlines()]

def state_lines(root, s):
    for p in s:
        if STATE_RE.search(p) and s[p][0] == "f":
            with open(os.path.join(root, p)) as f:
                return [l for l in f.read().splitlines() if l and not l.startswith("#")]
    return None

def covered(lines):
    """Host paths (without the leading slash) the state file names."""
    c = set()
    for l in lines:
        w = l.split(" ")
        if w[0] in ("file", "link", "extra", "dir", "block") and len(w) == 2:
            c.add(w[1].lstrip("/"))
        elif w[0] == "backup" and len(w) == 3:
            c.add(w[2].lstrip("/"))
    return c

old = snap(base)
apply_cmd = ["apply"] + args
if scenario == "apply":
    start_root = fresh(base, "start")
    cmd = apply_cmd
    clean = fresh(base, "clean")
    n_steps = steps(clean, cmd)
    end = snap(clean)
    # The finished tree reverts to the fixture; a retried tree equal to it does the same.
    rc, out = run(clean, ["revert"])
    if rc != 0 or snap(clean) != old:
        sys.exit("revert after a clean apply does not restore the fixture:\n" + out)
else:
    applied = fresh(base, "start")
    rc, out = run(applied, apply_cmd)
    if rc != 0:
        sys.exit("apply failed (%d):\n%s" % (rc, out))
    start_root = applied
    cmd = ["revert"]
    n_steps = steps(fresh(applied, "clean"), cmd)
    end = old
    if snap(os.path.join(work, "clean")) != old:
        sys.exit("a clean revert does not restore the fixture")
start = snap(start_root)

fails = {"rc": [], "a": [], "b": [], "c": [], "d": []}
seen = {}
ran = 0
for i in range(1, len(n_steps) + 1):
    op, path = n_steps[i - 1]
    what = "step %d (%s %s)" % (i, op, path)
    # A kill right before an fsync changes nothing a kill right before the next step
    # would not: that one is run. (A failing fsync is a different path: mode fail.)
    if mode == "kill" and op in ("fsync", "fsync-dir") and i < len(n_steps):
        continue
    ran += 1
    w = fresh(start_root, "w")
    env = {"GPT_BOOTCFG_FAULT_AT": str(i)}
    if mode == "kill":
        env["GPT_BOOTCFG_FAULT_MODE"] = "kill"
    rc, out = run(w, cmd, env)
    want_rc = -9 if mode == "kill" else 2
    if rc != want_rc:
        fails["rc"].append("%s: exit %d, want %d: %s" % (what, rc, want_rc, out.strip()[-300:]))
    t = snap(w)

    # (b) the fixture's own paths
    changed = [p for p in old if t.get(p) != old[p]]
    if changed:
        fails["b"].append("%s: changed %s" % (what, changed[:5]))
    # (c) temporary files: after a kill, the one of the step it hit (a "write" or "fsync"
    # of a temporary file, or the "rename" of one into place: then in the target's
    # directory), whatever the PID in its name
    tmps = [p for p in t if TMP_RE.match(os.path.basename(p))]
    allowed = []
    if mode == "kill" and op in ("write", "fsync"):
        allowed = [p for p in tmps if mask(p) == mask(path.lstrip("/"))]
    elif mode == "kill" and op == "rename":
        allowed = [p for p in tmps if os.path.dirname(p) == os.path.dirname(path.lstrip("/"))]
    if len(allowed) != len(tmps) or len(tmps) > 1:
        fails["c"].append("%s: temporary files %s" % (what, tmps))
    # (a) consistency; a temporary file is judged by (c)
    tt = {p: v for p, v in t.items() if p not in allowed}
    if tt != start and tt != end:
        lines = state_lines(w, tt)
        if lines is None:
            fails["a"].append("%s: partial tree and no state file: %s" % (what, diff(old, tt)[:6]))
        else:
            cov = covered(lines)
            loose = [p for p in diff(old, tt) if p not in cov and not STATE_RE.search(p)]
            if loose:
                fails["a"].append("%s: not in the state file: %s" % (what, loose[:6]))

    # (d) the same command again, then (after an apply) revert
    k = key(t)
    if k in seen:
        continue
    seen[k] = what
    rc, out = run(w, cmd)
    got = snap(w)
    if rc != 0 or got != end:
        fails["d"].append("%s: %s again: exit %d, differs from a clean run: %s\n%s" %
                          (what, " ".join(cmd), rc, diff(end, got)[:6], out.strip()[-400:]))

print("steps %d" % len(n_steps))
print("ran %d" % ran)
print("distinct %d" % len(seen))
for p in ("rc", "a", "b", "c", "d"):
    print("%s %d" % (p, len(fails[p])))
    for f in fails[p][:8]:
        print("#   " + f.replace("\n", "\n#     "))
PY

# The scenarios run side by side, one per CPU; each has its own work directory.
export GPT_BOOTCFG WORK TAP_TMP
set -- "apply fail --yes" "apply fail --yes --no-trial" "revert fail --yes" \
	"revert fail --yes --no-trial" "apply kill --yes" "apply kill --yes --no-trial" \
	"revert kill --yes" "revert kill --yes --no-trial"
jobs=$(nproc 2>/dev/null || echo 1)
[ "$jobs" -le 8 ] || jobs=8
n=0
for job in "$@"; do
	n=$((n + 1))
	mkdir -p "$WORK/job$n"
	# shellcheck disable=SC2086
	echo "$n $job"
done | xargs -P "$jobs" -L 1 sh -c 'n=$1; shift
	python3 "$0" "$GPT_BOOTCFG" "$WORK/base" "$WORK/job$n" "$@" >"$TAP_TMP/res$n" 2>&1
	rm -rf "$WORK/job$n"' "$TAP_TMP/fault.py"

n=0
for job in "$@"; do
	n=$((n + 1))
	res=$TAP_TMP/res$n
	# shellcheck disable=SC2086
	set -- $job
	d="$1${3:+ ($3${4:+ $4})}, $2 at each step"
	steps=$(sed -n 's/^steps //p' "$res")
	ran=$(sed -n 's/^ran //p' "$res")
	distinct=$(sed -n 's/^distinct //p' "$res")
	ok "$d: $ran of ${steps:-?} steps faulted, ${distinct:-?} distinct trees run again" -- \
		test -n "$steps" -a "${ran:-0}" -gt 0
	[ -n "$steps" ] || sed 's/^/#   /' "$res" | head -20
	for p in rc a b c d; do
		case $p in
		rc) w="exit status 2 (error) on failure, SIGKILL on kill" ;;
		a) w="(a) the tree is old, new, or all its changes are in the state file" ;;
		b) w="(b) no file of the fixture changed" ;;
		c) w="(c) no temporary file left (after a kill: only the killed step's)" ;;
		d) w="(d) running it again gives the tree of a clean run" ;;
		esac
		got=$(sed -n "s/^$p //p" "$res")
		is "${got:-missing}" 0 "$d: $w"
		[ "${got:-0}" = 0 ] || awk -v p="$p" '$1 == p { on = 1; next } /^[a-z]+ [0-9]+$/ { on = 0 } on' \
			"$res" | head -30
	done
done
done_testing
