# timing.sh - the benchmarks' shared timing, sourced by scripts/bench/*.sh
# (this directory's files are never run by `make bench` themselves).
# The caller sets W, a scratch directory of its own, and NAME, the
# benchmark's name for error lines.

# run_times 'CMD' N: N run times in seconds, one per line, after one
# warm-up (with PREP set: no warm-up, PREP run before each run). CMD is one
# string, split by hyperfine as a shell would (no shell runs).
run_times() {
    if [ -n "${PREP:-}" ]; then
        hyperfine -N --style none --runs "$2" --prepare "$PREP" \
            --export-json "$W/h.json" "$1" >/dev/null 2>"$W/h.err"
    else
        hyperfine -N --style none --warmup 1 --runs "$2" \
            --export-json "$W/h.json" "$1" >/dev/null 2>"$W/h.err"
    fi || { cat "$W/h.err" >&2; echo "bench/$NAME: '$1' failed" >&2; exit 1; }
    tr -d ' \n\t' <"$W/h.json" | sed 's/.*"times":\[\([^]]*\)\].*/\1/' |
        tr ',' '\n'
}

# median_of FILE DIGITS: the median of the times in FILE, in ms
median_of() {
    sort -g "$1" | awk -v d="$2" '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.*f", d, m * 1000 }'
}

# interleaved ROUNDS TOTAL VAR1 'CMD1' VAR2 'CMD2' ...: sets each VAR to the
# median (ms; DIGITS decimals, 2 unless set) of TOTAL runs of its CMD,
# taken in ROUNDS alternating blocks, so that a change in the machine's load
# falls on every command alike rather than on whichever ran during it. The
# order turns by one each round (CMD1 CMD2 CMD3, CMD2 CMD3 CMD1, ...), so
# that what a run leaves behind (dirty pages still being written back) does
# not always fall on the same command. Its own variables start with t_, so
# that a caller's loop variables are left alone.
interleaved() {
    t_rounds=$1 t_per=$(( ($2 + $1 - 1) / $1 ))
    shift 2
    t_pairs=$(( $# / 2 ))
    rm -f "$W"/t.*
    t_k=0
    while [ "$t_k" -lt "$t_rounds" ]; do
        t_j=0
        while [ "$t_j" -lt "$t_pairs" ]; do
            t_i=$(( (t_j + t_k) % t_pairs + 1 ))
            eval "t_cmd=\${$((2 * t_i))}"
            run_times "$t_cmd" "$t_per" >>"$W/t.$t_i"
            t_j=$((t_j + 1))
        done
        t_k=$((t_k + 1))
    done
    t_i=0 t_var=
    for t_x in "$@"; do
        if [ -z "$t_var" ]; then t_var=$t_x; continue; fi
        t_i=$((t_i + 1))
        eval "$t_var=\$(median_of \"\$W/t.$t_i\" \"\${DIGITS:-2}\")"
        t_var=
    done
}

# ratio A B: A / B as "1.23x", or "-" without a B
ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.2fx", $1 / $2; else print "-" }'; }
