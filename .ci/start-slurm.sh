#!/usr/bin/env bash
# A one-node Slurm cluster on this machine (Debian 12 packages, as root): munge for authentication,
# slurmctld and slurmd with a config written for this host, for the sweep tests' Slurm executor
# (a 4-task job array runs two tasks at a time on 2 cores).
#   bash start-slurm.sh [DIR]      DIR holds config, state, logs (default /tmp/slurm-local)
#   export SLURM_CONF=DIR/slurm.conf   then sbatch, squeue, sinfo, scancel work as on a cluster
# Stop it with: kill $(cat DIR/slurmd.pid) $(cat DIR/slurmctld.pid) $(cat DIR/munged.pid)
set -euo pipefail
dir=${1:-/tmp/slurm-local}
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi
mkdir -p "$dir/state" "$dir/spool" /run/munge
chown munge:munge /run/munge
[ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
if ! munge -n >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged
  sleep 1
fi
cp /run/munge/munged.pid "$dir/munged.pid"
host=$(hostname -s)
cat > "$dir/slurm.conf" <<CONF
ClusterName=local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 30); do
  sinfo -h -o %t 2>/dev/null | grep -q idle && { echo "slurm: one node ($host, $(nproc) CPUs) up; export SLURM_CONF=$SLURM_CONF"; exit 0; }
  sleep 1
done
echo "slurm did not come up; see $dir/slurmctld.log and $dir/slurmd.log" >&2
exit 1
