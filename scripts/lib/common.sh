# shellcheck shell=bash
# Small helpers shared by scripts/stack (sourced, not executed).

# Messages go to stderr so that stdout stays usable (e.g. `stack psql -At`).
# A closed stderr (the caller went away) must not abort a stop half-way.
say() { printf 'stack: %s\n' "$*" >&2 2>/dev/null || true; }
warn() { printf 'stack: warning: %s\n' "$*" >&2 2>/dev/null || true; }
die() {
	printf 'stack: error: %s\n' "$*" >&2 2>/dev/null || true
	exit 1
}

# Stopping must finish even when whoever ran us is gone: ignore SIGPIPE (the
# messages above then fail quietly instead of killing the script).
ignore_sigpipe() { trap '' PIPE; }

is_root() { [[ "$(id -u)" == 0 ]]; }

# require_cmd NAME HINT: fail with a clear message when a program is missing.
require_cmd() {
	command -v "$1" >/dev/null 2>&1 || die "'$1' not found ($2)"
}

# --- pid files and process checks -------------------------------------------

# read_pid FILE: print the pid stored in FILE (nothing if absent or garbage).
read_pid() {
	local pid=''
	if [[ -r "$1" ]]; then
		read -r pid <"$1" || true
	fi
	[[ "$pid" =~ ^[0-9]+$ ]] && printf '%s\n' "$pid"
	return 0
}

# proc_cmdline PID: the process's command line with NULs turned into spaces
# (empty for zombies and for pids that do not exist).
proc_cmdline() {
	local cmd=''
	cmd="$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline")" || true
	printf '%s' "$cmd"
}

# proc_has_env PID NAME=VALUE: true when the process's environment holds
# exactly that entry. Unreadable environ (another user's process) is false.
proc_has_env() {
	local entry
	[[ -r "/proc/$1/environ" ]] || return 1
	while IFS= read -r -d '' entry; do
		[[ "$entry" == "$2" ]] && return 0
	done 2>/dev/null <"/proc/$1/environ"
	return 1
}

# pid_alive_matching PID NEEDLE: the process exists, is not a zombie and its
# command line contains NEEDLE. This is the guard before every kill, so that a
# recycled pid never gets signalled.
pid_alive_matching() {
	local pid="$1" needle="$2" cmd
	[[ -n "$pid" ]] || return 1
	cmd="$(proc_cmdline "$pid")"
	[[ -n "$cmd" && "$cmd" == *"$needle"* ]]
}

# wait_gone PID NEEDLE TENTHS: wait until the process is gone (or a zombie),
# at most TENTHS tenths of a second. Returns 1 on timeout.
wait_gone() {
	local pid="$1" needle="$2" tenths="$3" i
	for ((i = 0; i < tenths; i++)); do
		pid_alive_matching "$pid" "$needle" || return 0
		sleep 0.1
	done
	! pid_alive_matching "$pid" "$needle"
}

# child_pids PID: direct children of PID (one per line), zombies excluded.
child_pids() {
	local stat_file pid rest ppid state
	for stat_file in /proc/[0-9]*/stat; do
		# /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces.
		rest="$(cat "$stat_file" 2>/dev/null)" || continue
		pid="${rest%% *}"
		rest="${rest##*) }"
		state="${rest%% *}"
		rest="${rest#* }"
		ppid="${rest%% *}"
		if [[ "$ppid" == "$1" && "$state" != Z ]]; then
			printf '%s\n' "$pid"
		fi
	done
}

# proc_ppid PID: the parent pid (empty if the process is gone).
proc_ppid() {
	local rest
	rest="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
	rest="${rest##*) }"
	rest="${rest#* }"
	printf '%s\n' "${rest%% *}"
}

# pids_with_env NEEDLE NAME=VALUE: live processes whose command line contains
# NEEDLE and whose environment holds NAME=VALUE (one pid per line).
pids_with_env() {
	local dir pid
	for dir in /proc/[0-9]*; do
		pid="${dir#/proc/}"
		[[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] && continue
		pid_alive_matching "$pid" "$1" && proc_has_env "$pid" "$2" && printf '%s\n' "$pid"
	done
	return 0
}

# --- templates ---------------------------------------------------------------

# render_template SRC DEST: copy SRC to DEST replacing ${BOXOFFICE_NAME}
# placeholders (and only those: nginx's own $variables are left alone) with
# the values of the shell variables of the same name. An unset variable is an
# error, an empty one is allowed (for optional directives).
render_template() {
	local src="$1" dest="$2" content name placeholder pattern
	pattern='\$''{BOXOFFICE_[A-Z0-9_]*}'
	content="$(<"$src")"
	while read -r name; do
		[[ -n "$name" ]] || continue
		[[ -v "$name" ]] || die "template $src uses \${$name}, which is not set"
		placeholder="\${$name}"
		content="${content//"$placeholder"/"${!name}"}"
	done < <(grep -o "$pattern" "$src" | sed 's/^\${//; s/}$//' | sort -u)
	printf '%s\n' "$content" >"$dest.tmp.$$"
	mv -f "$dest.tmp.$$" "$dest"
}

# --- misc --------------------------------------------------------------------

# json_log COMPONENT LEVEL MESSAGE: one JSON line in the style of worker.log.
json_log() {
	local msg="$3"
	msg="${msg//\\/\\\\}"
	msg="${msg//\"/\\\"}"
	printf '{"ts":"%s","level":"%s","component":"%s","msg":"%s"}\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$2" "$1" "$msg"
}

# port_in_use PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# http_status URL: print the HTTP status of a GET (000 when unreachable).
http_status() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1" 2>/dev/null || true
}
