#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for testing `memento batch` on a
# real scheduler (Debian's munge, slurmctld and slurmd; scripts/install-deps.sh
# installs them). Needs root: Slurm's daemons run as root here.
#
#   scripts/slurm-one-node.sh start DIR   configure in DIR, start munged (unless
#                                         one runs), slurmctld and slurmd; wait
#                                         until the node is idle; print the
#                                         SLURM_CONF to export
#   scripts/slurm-one-node.sh stop DIR    stop what `start DIR` started, by PID:
#                                         slurmd, slurmctld, then munged
#
# Every wait has a timeout; a daemon that does not come up is reported with
# the tail of its log, and whatever was started is stopped again.
set -euo pipefail

usage() {
    echo "usage: $0 start|stop DIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)

# Waits up to $1 tenths of a second for the command after it to succeed.
wait_for() {
    local tenths=$1
    shift
    for _ in $(seq "$tenths"); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    return 1
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Sends SIGTERM to the PID in file $1 and waits up to 10 s for it to exit.
stop_pid() {
    local file=$1
    [ -f "$file" ] || return 0
    local pid
    pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        if ! wait_for 100 sh -c "! kill -0 $pid"; then
            echo "slurm-one-node: pid $pid ($file) did not stop in 10 s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$file"
}

stop() {
    stop_pid "$dir/slurmd.started"
    stop_pid "$dir/slurmctld.started"
    stop_pid "$dir/munged.started"
}

fail() {
    echo "slurm-one-node: $1" >&2
    [ -n "${2:-}" ] && [ -f "$2" ] && tail -n 20 "$2" >&2
    stop
    exit 1
}

case "$action" in
stop)
    stop
    exit 0
    ;;
start) ;;
*) usage ;;
esac

[ "$(id -u)" = 0 ] || { echo "slurm-one-node: needs root (Slurm's daemons run as root here)" >&2; exit 1; }
PATH="$PATH:/usr/sbin"
# munge and Slurm's daemons and client, when missing.
sh "$(dirname "$0")/install-deps.sh" >&2
for tool in munged slurmctld slurmd sbatch scontrol sinfo; do
    command -v "$tool" >/dev/null ||
        { echo "slurm-one-node: $tool is missing after scripts/install-deps.sh" >&2; exit 1; }
done

host=$(hostname -s)
mkdir -p "$dir/state" "$dir/spool" "$dir/log"
{
    echo "ClusterName=onenode"
    echo "SlurmctldHost=$host"
    echo "SlurmUser=root"
    echo "AuthType=auth/munge"
    echo "CredType=cred/munge"
    echo "MpiDefault=none"
    echo "MailProg=/bin/true"
    echo "ProctrackType=proctrack/linuxproc"
    echo "TaskPlugin=task/none"
    echo "JobAcctGatherType=jobacct_gather/none"
    echo "AccountingStorageType=accounting_storage/none"
    echo "SelectType=select/cons_tres"
    echo "SelectTypeParameters=CR_Core"
    echo "ReturnToService=2"
    echo "StateSaveLocation=$dir/state"
    echo "SlurmdSpoolDir=$dir/spool"
    echo "SlurmctldPidFile=$dir/slurmctld.pid"
    echo "SlurmdPidFile=$dir/slurmd.pid"
    echo "SlurmctldLogFile=$dir/log/slurmctld.log"
    echo "SlurmdLogFile=$dir/log/slurmd.log"
    echo "SchedulerType=sched/backfill"
    # The node as the hardware is: a node declared larger is drained.
    echo "$(slurmd -C | head -n 1) State=UNKNOWN"
    echo "PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP"
} >"$dir/slurm.conf"
export SLURM_CONF="$dir/slurm.conf"

# munged: one per machine; reuse a running one (and leave it running).
if ! alive /run/munge/munged.pid; then
    mkdir -p /run/munge
    chown munge:munge /run/munge
    if [ ! -f /etc/munge/munge.key ]; then
        runuser -u munge -- mungekey >/dev/null 2>&1 || fail "cannot make /etc/munge/munge.key"
    fi
    runuser -u munge -- /usr/sbin/munged || fail "munged did not start"
    wait_for 50 test -s /run/munge/munged.pid || fail "munged wrote no pid file"
    cp /run/munge/munged.pid "$dir/munged.started"
fi
wait_for 50 sh -c 'munge -n | unmunge' || fail "munge does not answer"

setsid nohup slurmctld -D -c -f "$SLURM_CONF" >"$dir/log/slurmctld.out" 2>&1 </dev/null &
echo $! >"$dir/slurmctld.started"
wait_for 300 sh -c 'scontrol ping | grep -q UP' ||
    fail "slurmctld is not up after 30 s" "$dir/log/slurmctld.log"

setsid nohup slurmd -D -f "$SLURM_CONF" >"$dir/log/slurmd.out" 2>&1 </dev/null &
echo $! >"$dir/slurmd.started"
wait_for 300 sh -c 'sinfo -h -o %T | grep -qx idle' ||
    fail "the node is not idle after 30 s ($(sinfo -h -o %T 2>&1))" "$dir/log/slurmd.log"

echo "SLURM_CONF=$SLURM_CONF"
