#!/usr/bin/env bash
# tests/slurm-check.sh FLEETSIM - the sweep chain under a real Slurm: a
# single-node cluster on this machine (Debian's slurm-wlm and munge,
# installed as root when missing), the sweep submitted as sweep.sbatch's
# job array, then tests/sweep-chain.sh's merge and report checks.
#
# Owns: a temporary munge key, slurm.conf, state, spool and log folders,
# and the three daemons (munged, slurmctld, slurmd, each in the foreground
# in the background of this script), stopped on every exit. Ports are
# chosen from this script's pid so that a system Slurm is not disturbed.
# Does not: touch /etc/slurm, /etc/munge or a running system daemon.
# Prints the time from start to the node idle, then sweep-chain.sh's
# "N passed, N failed"; exits 1 with the daemons' logs when Slurm does
# not come up.
set -u
bin=${1:?usage: slurm-check.sh FLEETSIM}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
here=$(cd "$(dirname "$0")" && pwd)
t0=$(date +%s.%N)
elapsed() { echo "$(date +%s.%N) $t0" | awk '{printf "%.1f", $1 - $2}'; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
    ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "slurm-check: installing slurm-wlm munge"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq slurm-wlm munge) >/dev/null || exit 1
    else
        echo "slurm-check: Slurm missing; run: sudo apt-get install -y slurm-wlm munge"
        exit 1
    fi
fi
[ "$(id -u)" = 0 ] || { echo "slurm-check: must run as root (SlurmUser=root, slurmd)"; exit 1; }

tmp=$(mktemp -d /tmp/fleetsim-slurm.XXXXXX)
chmod 755 "$tmp"
pids=()
stop() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 130' INT TERM HUP
fail_up() { # what did not come up
    echo "slurm-check: $1 after $(elapsed) s"
    local f
    for f in "$tmp"/*.log; do [ -e "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
    exit 1
}

# munge: a fresh key and a private socket.
mkdir -m 755 "$tmp/munge"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
sock=$tmp/munge/munge.socket
munged -F --key-file="$tmp/munge/munge.key" --socket="$sock" \
    --pid-file="$tmp/munge/munged.pid" --seed-file="$tmp/munge/seed" \
    --log-file="$tmp/munged.log" >"$tmp/munged.out.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || fail_up "munged did not create its socket"
munge -S "$sock" -n | unmunge -S "$sock" >/dev/null 2>&1 || fail_up "munge/unmunge round trip failed"

# slurm.conf: one node, this host, the machine's CPUs, everything in $tmp.
host=$(hostname -s)
port=$((20000 + ($$ % 2000) * 2))
mkdir "$tmp/state" "$tmp/spool"
cat >"$tmp/slurm.conf" <<EOF
ClusterName=fleetsim
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=256 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -D -i >"$tmp/slurmctld.out.log" 2>&1 &
pids+=($!)
slurmd -D >"$tmp/slurmd.out.log" 2>&1 &
pids+=($!)
up=
for _ in $(seq 1 600); do
    st=$(sinfo -h -n "$host" -o '%t' 2>/dev/null)
    [ "$st" = idle ] && { up=$(elapsed); break; }
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || fail_up "a daemon exited (pid $p)"; done
    sleep 0.1
done
[ -n "$up" ] || fail_up "node $host not idle within 60 s (sinfo: ${st:-no answer})"
echo "slurm-check: node $host idle $up s after the start"

"$here/sweep-chain.sh" "$bin" slurm; rc=$?
echo "slurm-check: whole test $(elapsed) s"
exit $rc
