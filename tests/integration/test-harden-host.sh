#!/bin/sh
# Issue 14's smaller host-side holes (items 2 and 8), through the CLI on fixture copies:
# values for GRUB's drop-in refused at FILE:LINE:COL with nothing written, a killed apply
# followed by revert leaving no temporary file, a FIFO as the config, two huge VMs, control
# bytes in messages, a directory at a managed path, and the plan's diff hunk header.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

conf() { # conf ROOT [EXTRA [host] LINE]
	{
		if [ -n "${2:-}" ]; then printf '[host]\n%s\n' "$2"; fi
		gpu_pair_conf 8G
	} | write_conf "$1"
}

# 1. The issue's [host] cmdline values: refused by the parser, with the column, and apply
#    writes nothing (before, they reached the drop-in grub-mkconfig sources).
R=$(fixture_copy guide-server)
# value, column of the first refused character (the value starts at column 11)
while IFS='|' read -r value col what; do
	conf "$R" "cmdline = $value"
	tree_listing "$R" >"$TAP_TMP/t0"
	run_gen "$R" apply --yes --no-trial
	is "$rc" 2 "cmdline with $what: apply refuses"
	ok "cmdline with $what: FILE:LINE:COL" -- \
		grep -qF "/etc/gpt-bootcfg/gpt-bootcfg.conf:2:$col: cmdline: " "$TAP_TMP/err.txt"
	tree_listing "$R" >"$TAP_TMP/t1"
	ok "cmdline with $what: nothing written" -- cmp "$TAP_TMP/t0" "$TAP_TMP/t1"
done <<'CASES'
console=ttyS0,115200 $(touch${IFS}/tmp/x)|32|command substitution
quiet";cmd;"|16|a double quote
quiet';cmd;'|16|a single quote
quiet a=b\c|20|a backslash
CASES
conf "$R" "cmdline = console=ttyS0,115200n8 quiet"
run_gen "$R" apply --yes --no-trial
is "$rc" 0 "an ordinary cmdline is applied"
ok "and reaches the drop-in" -- grep -q 'console=ttyS0,115200n8 quiet gpt_bootcfg.generation=' \
	"$R/etc/default/grub.d/gpt-bootcfg.cfg"
ok "the drop-in sources cleanly in sh" -- \
	sh -c "GRUB_CMDLINE_LINUX_DEFAULT=base; . '$R/etc/default/grub.d/gpt-bootcfg.cfg'; test \"\${GRUB_CMDLINE_LINUX_DEFAULT#base }\" != \"\$GRUB_CMDLINE_LINUX_DEFAULT\""

# 2. A killed apply, then revert: no temporary file stays, anywhere, at any step, and the
#    tree is the fixture again.
W=$(mktemp -d /dev/shm/gpt-bootcfg-harden.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir "$W/base"
cp -a "$TOP/tests/fixtures/guide-server/." "$W/base/"
conf "$W/base"
tree_listing "$W/base" >"$W/fixture.list"
rm -rf "$W/r" && cp -a "$W/base" "$W/r"
GPT_BOOTCFG_FAULT_LOG="$W/steps" "$GPT_BOOTCFG" --root "$W/r" apply --yes >/dev/null 2>&1
steps=$(wc -l <"$W/steps")
ok "a clean trial apply has fault points ($steps)" -- test "$steps" -gt 10
left=0 differ=0 failed=0
i=1
while [ $i -le "$steps" ]; do
	rm -rf "$W/r" && cp -a "$W/base" "$W/r"
	GPT_BOOTCFG_FAULT_AT=$i GPT_BOOTCFG_FAULT_MODE=kill "$GPT_BOOTCFG" --root "$W/r" \
		apply --yes >/dev/null 2>&1
	"$GPT_BOOTCFG" --root "$W/r" revert >"$W/out" 2>&1 || {
		failed=$((failed + 1)); echo "# step $i: revert failed"; sed 's/^/#   /' "$W/out" | tail -3; }
	tmps=$(cd "$W/r" && find . -name '*.gpt-bootcfg-tmp')
	if [ -n "$tmps" ]; then
		left=$((left + 1)); echo "# kill at step $i ($(sed -n "${i}p" "$W/steps")), revert left: $tmps"
	fi
	tree_listing "$W/r" >"$W/r.list"
	cmp -s "$W/fixture.list" "$W/r.list" || { differ=$((differ + 1)); echo "# step $i: tree differs"; }
	i=$((i + 1))
done
is "$left" 0 "killed apply + revert: no temporary file left after any of the $steps steps"
is "$failed" 0 "killed apply + revert: revert succeeds after every step"
is "$differ" 0 "killed apply + revert: the tree is the fixture again after every step"

# 3. A FIFO as the configuration: refused at once, not waited on forever.
R=$(fixture_copy guide-server)
mkdir -p "$R/etc/gpt-bootcfg"
mkfifo "$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
for verb in plan "apply --yes"; do
	rc=0
	# shellcheck disable=SC2086
	timeout 60 "$GPT_BOOTCFG" --root "$R" $verb >"$TAP_TMP/out.txt" 2>"$TAP_TMP/err.txt" || rc=$?
	is "$rc" 2 "a FIFO as the config: $verb fails (124 would be the timeout)"
	ok "a FIFO as the config: $verb says it is not a regular file" -- \
		grep -qF "/etc/gpt-bootcfg/gpt-bootcfg.conf: not a regular file" "$TAP_TMP/err.txt"
done

# 4. Two VMs of 8 EiB: the hugepage sum no longer wraps to a small number in silence.
R=$(fixture_copy guide-server)
conf "$R"
sed -i 's/^memory = 8G/memory = 8388608T/' "$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
cat >>"$R/etc/gpt-bootcfg/gpt-bootcfg.conf" <<'CONF'
[vm big]
memory = 8388608T
CONF
run_gen "$R" plan
is "$rc" 2 "two 8 EiB VMs: plan refuses them (more than the host's MemTotal)"
ok "two 8 EiB VMs: naming the memory" -- grep -qF "VM 'big': memory 8589934592 GiB is more than this host can give a VM" "$TAP_TMP/err.txt"
# Without MemTotal that guardrail is skipped: the plan is printed, the pools must not wrap.
rm "$R/proc/meminfo"
run_gen "$R" plan
ok "two 8 EiB VMs: plan warns that the hugepages exceed any memory" -- \
	grep -q "hugepages add up to more than 16 EiB" "$TAP_TMP/out.txt" "$TAP_TMP/err.txt"
ok "two 8 EiB VMs: the pool is the real sum (2 x 8388608 x 1024 pages)" -- \
	grep -q "hugepages=17179869184" "$TAP_TMP/out.txt"

# 5. Control bytes in a value are shown escaped, never raw, in the error.
R=$(fixture_copy guide-server)
conf "$R" "$(printf 'isolate-cpus = ma\033[2Jybe')"
run_gen "$R" plan
is "$rc" 2 "a control byte in a value: refused"
ok "shown as \\x1b" -- grep -qF 'not '"'"'ma\x1b[2Jybe'"'" "$TAP_TMP/err.txt"
ok "no raw control byte on stderr" -- sh -c "! LC_ALL=C grep -q '[[:cntrl:]]' '$TAP_TMP/err.txt'"

# 6. A directory where a managed file goes: the error names it.
R=$(fixture_copy guide-server)
conf "$R"
mkdir -p "$R/etc/modprobe.d/gpt-bootcfg.conf"
tree_listing "$R" >"$TAP_TMP/t0"
run_gen "$R" apply --yes
is "$rc" 2 "a directory at a managed path: apply fails"
ok "naming the path" -- grep -qF "/etc/modprobe.d/gpt-bootcfg.conf: not a regular file or symlink (a directory?)" "$TAP_TMP/err.txt"
tree_listing "$R" >"$TAP_TMP/t1"
ok "writing nothing" -- cmp "$TAP_TMP/t0" "$TAP_TMP/t1"

# 7. The plan's diff of a user's two-line drop-in against ours starts at line 1 of both.
R=$(fixture_copy guide-server)
conf "$R"
mkdir -p "$R/etc/default/grub.d"
printf 'GRUB_TIMEOUT=3\nGRUB_TERMINAL=console\n' >"$R/etc/default/grub.d/gpt-bootcfg.cfg"
run_gen "$R" plan
hunks=$(sed -n '/^+++ .*grub.d\/gpt-bootcfg.cfg/,/^--- /p' "$TAP_TMP/out.txt" | grep '^@@' | tr '\n' ' ')
ok "hunk header @@ -1,2 +1,N @@ (got: $hunks)" -- sh -c "echo '$hunks' | grep -Eq '^@@ -1,2 \+1,[0-9]+ @@ \$'"

done_testing
