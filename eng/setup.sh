#!/usr/bin/env bash
# Everything a fresh Debian machine (with the .NET SDK) needs for VCluster SDK: Ganeti 3.0 and
# the sandbox's tools from Debian, then VCluster.Sdk and dotnet-vcluster packed into the
# repository's local feed (artifacts/packages) and the local tool restored.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(ganeti ganeti-3.0 ganeti-haskell-3.0 ganeti-htools-3.0 ganeti-os-noop gcc libc6-dev
          libnss-wrapper libeatmydata1 socat dnsmasq-base util-linux iproute2 openssh-client procps
          iptables   # Ganeti's QA sets up its firewall rules on the master; fault delay queues packets with it (NFQUEUE)
          mmdebstrap uidmap   # another Debian release's Ganeti (VClusterGanetiRelease), made without root
          nftables            # network faults between nodes, in the sandbox's own network (dotnet vcluster fault)
          libfaketime         # a node's clock skew (dotnet vcluster fault skew)
          curl python3-ganeti-rapi openssl)   # the last three: RAPI from the host and certificate checks in the tests
# The native parts are built for both Linux architectures .NET and Debian share: the other
# one's with Debian's cross compiler (src/VCluster.Engine/VCluster.Engine.csproj).
case "$(dpkg --print-architecture)" in
  amd64) packages+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross) ;;
  arm64) packages+=(gcc-x86-64-linux-gnu libc6-dev-amd64-cross) ;;
esac
# What needs root runs as root, through sudo for a user who has it. A user without sudo gets
# the commands to ask an administrator for.
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else sudo="none"; fi
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$sudo" = none ]; then
    echo "setup: error: these Debian packages are missing and this user has no sudo to install them:" >&2
    echo "  ${missing[*]}" >&2
    echo "ask an administrator to run, as root:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  # Ganeti's packages pull in services (ssh, ...); nothing here needs them started.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Ganeti's QA suite (dotnet vcluster qa) comes from Debian's source package: a deb-src entry
# for every deb one, if the machine has none.
if ! apt-cache showsrc ganeti 2>/dev/null | grep -q '^Package: ganeti'; then
  if [ "$sudo" = none ]; then
    echo "setup: warning: no deb-src entries, and no sudo to add them: 'dotnet vcluster qa' needs Ganeti's source package." >&2
    echo "  as root: copy each 'Types: deb' entry of /etc/apt/sources.list.d/*.sources with 'Types: deb-src', then apt-get update" >&2
  else
    echo "setup: adding deb-src entries (Ganeti's source, for its QA suite)"
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] && grep -q '^Types: deb$' "$f" && sed 's/^Types: deb$/Types: deb-src/' "$f"
    done | $sudo tee /etc/apt/sources.list.d/vcluster-deb-src.sources >/dev/null
    if [ -f /etc/apt/sources.list ]; then
      sed -n 's/^deb /deb-src /p' /etc/apt/sources.list | $sudo tee /etc/apt/sources.list.d/vcluster-deb-src.list >/dev/null
    fi
    $sudo apt-get update -qq
  fi
fi

# Debian's systemd raises kernel.pid_max to 2^22 at boot (/usr/lib/sysctl.d/50-pid-max.conf); a
# machine booted without it (a container, a bare VM) keeps the kernel's 32768. Hundreds of
# virtual nodes' daemons on one machine then reuse pids within minutes, and Ganeti's daemon-util
# takes a dead daemon whose old pid another process holds for a running one: ganeti-watcher
# would not restart it (dotnet vcluster up warns, VCS0032). As root, do what Debian's boot does.
# (sysctl is in /sbin, which an ordinary user's PATH lacks.)
if [ "$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo 4194304)" -lt 4194304 ]; then
  if [ "$sudo" != none ] && $sudo /sbin/sysctl -qw kernel.pid_max=4194304 2>/dev/null; then
    echo "setup: kernel.pid_max raised to 4194304, as Debian's systemd sets it at boot"
  else
    echo "setup: warning: kernel.pid_max is $(cat /proc/sys/kernel/pid_max), below Debian's 4194304; as root: sysctl -w kernel.pid_max=4194304"
  fi
fi

# Every source tree packs its own version (eng/version.sh), pinned where the repository uses
# it: the user's package cache keeps what other checkouts packed, untouched.
version=$(eng/version.sh --pin)
rm -f artifacts/packages/*.nupkg   # this checkout's feed holds only what it packs now
dotnet pack VClusterSdk.sln -c Release -o artifacts/packages -p:VersionSuffix="${version#*-}" -nodeReuse:false -v:q -nologo
dotnet tool restore
echo "setup: done (VCluster.Sdk and dotnet-vcluster $version in artifacts/packages)"
