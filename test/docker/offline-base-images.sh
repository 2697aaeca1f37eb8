#!/usr/bin/env bash
# Stand-ins for the two public images planwright's Dockerfile and compose file
# use (node:*-bookworm-slim and redis:7-alpine), built from Debian's packages
# and this machine's own Node.js, for machines that cannot reach Docker Hub.
# They get their own names; nothing pretends to be the official image:
#
#   test/docker/offline-base-images.sh
#   PLANWRIGHT_DOCKER_OFFLINE=1 npm run test:docker
#
# Needs root (debootstrap), a running Docker engine and Debian's mirror.
set -euo pipefail

DEBIAN_IMAGE=planwright-offline/debian:bookworm
NODE_IMAGE=${PLANWRIGHT_OFFLINE_NODE_IMAGE:-planwright-offline/node:bookworm-slim}
REDIS_IMAGE=${PLANWRIGHT_OFFLINE_REDIS_IMAGE:-planwright-offline/redis:7}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

have() { docker image inspect "$1" >/dev/null 2>&1; }
if have "$NODE_IMAGE" && have "$REDIS_IMAGE"; then
  echo "offline base images present: $NODE_IMAGE, $REDIS_IMAGE"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "needs debootstrap: apt-get install -y debootstrap" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! have "$DEBIAN_IMAGE"; then
  debootstrap --variant=minbase bookworm "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/archives/"*.deb
  tar -C "$work/rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
fi

# Laid out as the official node image is: node, npm and npx in /usr/local,
# the headers node-gyp needs (so a native addon builds without downloading
# them), and a `node` user with uid 1000.
node_bin=$(command -v node)
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
headers=$(dirname "$(dirname "$node_bin")")/include/node
mkdir -p "$work/node/bin" "$work/node/lib/node_modules" "$work/node/include"
cp "$node_bin" "$work/node/bin/node"
cp -a "$npm_dir" "$work/node/lib/node_modules/npm"
[ -d "$headers" ] && cp -a "$headers" "$work/node/include/node"
# Trust what this machine trusts: where egress goes through a TLS-inspecting
# proxy, its CA is only in the host's bundle, and npm ci in the build would
# fail with SELF_SIGNED_CERT_IN_CHAIN. The runtime stage's ca-certificates
# package rebuilds its bundle from /usr/local/share/ca-certificates too.
mkdir -p "$work/node/ca/bundle" "$work/node/ca/local"
cp /etc/ssl/certs/ca-certificates.crt "$work/node/ca/bundle/"
cp /usr/local/share/ca-certificates/*.crt "$work/node/ca/local/" 2>/dev/null || true
cat >"$work/node/Dockerfile" <<DOCKERFILE
FROM $DEBIAN_IMAGE
COPY bin/node /usr/local/bin/node
COPY lib /usr/local/lib
COPY include /usr/local/include
COPY ca/bundle/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY ca/local /usr/local/share/ca-certificates
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && mkdir -p /usr/local/etc && printf 'nodedir=/usr/local\\ncafile=/etc/ssl/certs/ca-certificates.crt\\n' >/usr/local/etc/npmrc \\
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
CMD ["node"]
DOCKERFILE
DOCKER_BUILDKIT=0 docker build -q --network host -t "$NODE_IMAGE" "$work/node" >/dev/null

# As the official image does, turn protected mode off unless the command says
# otherwise: without a config file Redis would refuse every client that is not
# on loopback, i.e. every other container.
mkdir -p "$work/redis"
cat >"$work/redis/entrypoint.sh" <<'ENTRYPOINT'
#!/bin/sh
if [ "$1" = redis-server ] && ! printf '%s\n' "$@" | grep -q -- '--protected-mode'; then
  set -- "$@" --protected-mode no
fi
exec "$@"
ENTRYPOINT
cat >"$work/redis/Dockerfile" <<DOCKERFILE
FROM $DEBIAN_IMAGE
RUN apt-get update && apt-get install -y --no-install-recommends redis-server redis-tools \\
 && rm -rf /var/lib/apt/lists/* && mkdir -p /data
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod +x /usr/local/bin/docker-entrypoint.sh
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
DOCKERFILE
DOCKER_BUILDKIT=0 docker build -q --network host -t "$REDIS_IMAGE" "$work/redis" >/dev/null
echo "built $NODE_IMAGE ($(docker run --rm "$NODE_IMAGE" node --version)) and $REDIS_IMAGE"
