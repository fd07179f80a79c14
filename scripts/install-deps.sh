#!/usr/bin/env bash
# install-deps.sh - installs every Debian 12 package the project needs (build, tests, demo,
# benchmarks). Idempotent: when every package is already installed it only checks and exits,
# so scripts/test.sh and scripts/demo.sh can call it on every run.
#
#   scripts/install-deps.sh          # install what is missing (needs root or sudo)
#   scripts/install-deps.sh --check  # exit 1 and list what is missing, install nothing
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang ccache
  libclang-rt-14-dev        # libFuzzer and sanitizer runtimes for clang
  # libraries (see DEPENDENCIES.md in the shared docs for the CMake side)
  libevent-dev libnats-dev libssl-dev libre2-dev libjemalloc-dev liburing-dev
  libgtest-dev libgmock-dev libbenchmark-dev libhttp-parser-dev libyaml-cpp-dev
  libsimdjson-dev nlohmann-json3-dev libsqlite3-dev libarchive-dev libcli11-dev
  libnghttp2-dev            # HTTP/2 (router/http2: h2c and h2 frontends, h2 backends)
  libcurl4-openssl-dev      # HTTP client: the CLI, cells and the scheduler
  postgresql libpq-dev      # brokers/postgres: the PostgreSQL it provisions on, and libpq
  # programs for tests, the demo and the load benchmark
  nats-server python3 wrk nginx haproxy curl iproute2 util-linux procps
  nghttp2-client            # nghttp and h2load: HTTP/2 integration tests and benchmarks
  openssl                   # s_time: the TLS handshake benchmark (bench/load/tls-vs-peers.sh)
  # benchmark charts (bench/charts/draw.sh) and syscall counts (bench/load/syscalls.sh)
  gnuplot-nox linux-perf strace
  # staging: the nodejs system buildpack uses the machine's node (Debian's nodejs; npm ships
  # with it from NodeSource, Debian 12 packages it separately as npm)
  nodejs
  # cells: every instance runs in an OCI container started by runc (scheduler/cell/README.md)
  runc
  # OCI images (common/oci): a real registry for the integration tests (Distribution v2), its
  # bcrypt htpasswd files, and the tools that build and push the test images (never pulled)
  docker-registry apache2-utils skopeo umoci busybox-static
)

missing() { # prints every package of PACKAGES that is not fully installed (one dpkg-query call)
  local -A ok=()
  local name status
  while read -r name status; do
    [ "${status:0:2}" = ii ] && ok[${name%%:*}]=1
  done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null || true)
  for name in "${PACKAGES[@]}"; do
    [ -n "${ok[$name]:-}" ] || echo "$name"
  done
}

mapfile -t MISSING < <(missing)
if [ ${#MISSING[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present" >&2
  exit 0
fi
if [ "${1:-}" = --check ]; then
  echo "install-deps: missing: ${MISSING[*]}" >&2
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${MISSING[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${MISSING[*]}" >&2

# Refresh the package lists only when they are absent or older than a day; retry once with a
# fresh list if the install fails (an outdated list names versions the archive has dropped).
lists_fresh() {
  [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 -print -quit 2>/dev/null)" ]
}
apt_update() { "${SUDO[@]}" apt-get update -qq -o=Dpkg::Use-Pty=0 >&2; }
apt_install() {
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends -o=Dpkg::Use-Pty=0 "${MISSING[@]}" >&2
}
lists_fresh || apt_update
if ! apt_install; then
  echo "install-deps: install failed, refreshing package lists and retrying" >&2
  apt_update
  apt_install
fi

mapfile -t STILL < <(missing)
if [ ${#STILL[@]} -ne 0 ]; then
  echo "install-deps: still missing after install: ${STILL[*]}" >&2
  exit 1
fi
echo "install-deps: done" >&2
