#!/usr/bin/env bash
# Debian's PostgreSQL server binaries for the multi-process test (tests/scale), which starts its
# own throw-away cluster (initdb in a temp dir, loopback port). No cluster is created or started here.
set -euo pipefail
if command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
# postgresql-common would create and start a "main" cluster on install; the test needs none.
$SUDO mkdir -p /etc/postgresql-common/createcluster.d
echo 'create_main_cluster = false' | $SUDO tee /etc/postgresql-common/createcluster.d/no-main-cluster.conf >/dev/null
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
