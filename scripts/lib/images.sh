# Docker images for the demo and the benchmarks, with Debian's tools only (nothing downloaded):
# a Distribution registry on loopback, and a tiny app image built with umoci from
# busybox-static. Needs procs.sh (remember_pid, wait_http). scripts/install-deps.sh installs
# docker-registry, umoci, skopeo and busybox-static.

# Starts docker-registry on 127.0.0.1:PORT with its storage in DIR (plain HTTP: a loopback
# registry, which Docker and our cells treat as an insecure registry without configuration).
registry_start() { # PORT DIR LOG
  mkdir -p "$2/storage"
  printf 'version: 0.1\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: 127.0.0.1:%s}\n' \
    "$2/storage" "$1" > "$2/config.yml"
  docker-registry serve "$2/config.yml" > "$3" 2>&1 &
  remember_pid registry $!
  wait_http "http://127.0.0.1:$1/v2/" || { tail -n 20 "$3" >&2; return 1; }
}

# An OCI image layout at LAYOUT:v1 whose CMD serves a page naming the instance with busybox's
# httpd on $PORT, as root in its container (an unprivileged host user through the user
# namespace). WORK is scratch space.
build_web_image() { # LAYOUT WORK
  local bundle=$2/bundle
  umoci init --layout "$1" && umoci new --image "$1:v1" && umoci unpack --image "$1:v1" "$bundle" ||
    return 1
  mkdir -p "$bundle/rootfs/bin"
  cp /bin/busybox "$bundle/rootfs/bin/busybox" && ln -s busybox "$bundle/rootfs/bin/sh" || return 1
  umoci repack --image "$1:v1" "$bundle" || return 1
  umoci config --image "$1:v1" --config.cmd /bin/sh --config.cmd -c --config.cmd \
    'mkdir -p /tmp/www && echo "hello from instance $CF_INSTANCE_INDEX" > /tmp/www/index.html && exec /bin/busybox httpd -f -p "$PORT" -h /tmp/www'
}

# Copies LAYOUT:v1 to docker://IMAGE (e.g. 127.0.0.1:5000/demo/web:v1).
push_image() { # LAYOUT IMAGE
  skopeo copy --quiet --dest-tls-verify=false "oci:$1:v1" "docker://$2"
}
