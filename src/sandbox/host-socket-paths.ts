/**
 * Unix sockets (and the directories holding them) of daemons that hand out
 * more power than the agent should have. The system is bound read-only into
 * the sandbox, but read-only does not stop `connect()`: a command could drive
 * the Docker daemon (root on the host for anyone in the docker group), the
 * user's D-Bus session, gpg-agent or ssh-agent. Database sockets are left
 * alone: a repository's tests may use them, and with the network on they are
 * reachable over TCP anyway.
 */
export const HOST_SOCKET_PATHS = [
  "/run/docker.sock",
  "/var/run/docker.sock",
  "/run/docker",
  "/run/containerd",
  "/run/podman",
  "/run/crio",
  "/run/user",
  "/run/dbus",
  "/var/run/dbus",
  "/run/snapd.socket",
  "/run/snapd-snap.socket",
  "/run/systemd/private",
] as const;
