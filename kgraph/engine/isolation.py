"""Cutting a sandbox off from the network, by the kernel, and failing closed.

pyoxigraph opens HTTP connections for SPARQL ``SERVICE`` and ``LOAD``.  Whether a
query names a remote target is decided by Oxigraph's own parser, and any check of
the text that imitates that parser leaks where the two differ (``SERVICEex:x``,
``SERVICESILENT<...>`` were read by Oxigraph as keywords and by our lexer as
names).  So the guarantee does not come from reading the text: a sandbox process
cannot reach a host it is not allowed to, whatever the engine decides to do.

Mechanisms, each applied to the sandbox process itself before it reads any input:

``netns``
    a new, empty network namespace (``unshare(CLONE_NEWNET)``, or with a user
    namespace when unprivileged): no interface but a loopback that is down.
``seccomp``
    a seccomp filter (libseccomp through :mod:`pyseccomp`) that refuses to create
    any socket but a Unix one, and refuses ``io_uring`` (which could connect
    without a system call).  Needs no privilege; it is what works in a container
    whose runtime refuses ``unshare``.
``seccomp-allowlist``
    with ``--allowed-hosts``: every ``connect``, ``sendto``, ``sendmsg`` and
    ``sendmmsg`` is held by the kernel and shown to a supervisor thread of the
    sandbox (seccomp user notification), which lets it go on only when its
    address is one that an allow-listed host resolves to (or a DNS server of
    ``/etc/resolv.conf`` on port 53 over UDP); any other fails with ``EACCES``.
    The check is on the address the kernel is asked to reach, after every
    spelling, prefix, escape and DNS name has been resolved.

Without an allow-list a sandbox takes every mechanism that works (``netns+seccomp``
on most Linux machines).  If none works the mode is ``none``, and the server
refuses every text that could name a remote target (see :func:`names_remote`).

``KGRAPH_NETWORK_ISOLATION`` (``auto``, the default; ``seccomp`` to skip the
namespace; ``off`` to act as if no mechanism worked) exists to test each path.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import ipaddress
import logging
import os
import socket
import struct
import threading
import time
from collections.abc import Sequence

log = logging.getLogger("kgraph.isolation")

#: Modes in which the sandbox cannot reach any other host.
CLOSED = ("netns+seccomp", "netns", "seccomp")
ALLOWLIST = "seccomp-allowlist"
NONE = "none"

_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_NOTIFY_CONTINUE = 1  # SECCOMP_USER_NOTIF_FLAG_CONTINUE


def requested() -> str:
    """``auto``, ``seccomp`` or ``off``, from the settings (``KGRAPH_NETWORK_ISOLATION``)."""
    from ..config import Config

    value = Config.from_env().network_isolation.strip().lower()
    return value if value in ("auto", "seccomp", "off") else "auto"


def isolate(allowed_hosts: Sequence[str]) -> str:
    """Isolate this process (call it before any thread that runs user work exists);
    returns the mode it is in."""
    wanted = requested()
    if wanted == "off":
        return NONE
    if allowed_hosts:
        return ALLOWLIST if _seccomp_allowlist(allowed_hosts) else NONE
    layers = []
    if wanted == "auto" and _new_network_namespace():
        layers.append("netns")
    if _seccomp_deny():
        layers.append("seccomp")
    return "+".join(layers) or NONE


def _new_network_namespace() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - not Linux
        return False
    if not hasattr(libc, "unshare"):  # pragma: no cover
        return False
    if libc.unshare(_CLONE_NEWNET) == 0:
        return True
    return libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0


def _seccomp():  # type: ignore[no-untyped-def]
    try:
        import pyseccomp
    except (ImportError, OSError) as error:  # no binding, or no libseccomp.so
        log.warning("seccomp unavailable: %s", error)
        return None
    return pyseccomp


def _seccomp_deny() -> bool:
    """Refuse every socket that is not a Unix one, and io_uring."""
    sc = _seccomp()
    if sc is None:
        return False
    try:
        rules = sc.SyscallFilter(sc.ALLOW)
        rules.add_rule(sc.ERRNO(errno.EACCES), "socket", sc.Arg(0, sc.NE, socket.AF_UNIX))
        rules.add_rule(sc.ERRNO(errno.ENOSYS), "io_uring_setup")
        rules.load()
    except (OSError, RuntimeError, ValueError) as error:
        log.warning("seccomp filter refused: %s", error)
        return False
    return True


def _seccomp_allowlist(hosts: Sequence[str]) -> bool:
    sc = _seccomp()
    if sc is None:
        return False
    try:
        rules = sc.SyscallFilter(sc.ALLOW)
        for call in ("connect", "sendto", "sendmsg", "sendmmsg"):
            rules.add_rule(sc.NOTIFY, call)
        rules.add_rule(sc.ERRNO(errno.ENOSYS), "io_uring_setup")
        allowed = AllowedAddresses(hosts)
        supervisor = Supervisor(rules, allowed, sc)
        supervisor.start()  # before the filter: the supervisor's own thread is not held
        allowed.start_refreshing()  # nor is the resolver's
        rules.load()
        supervisor.loaded.set()
    except (OSError, RuntimeError, ValueError, NotImplementedError) as error:
        log.warning("seccomp user notification unavailable: %s", error)
        return False
    return True


def names_remote(text: str) -> bool:
    """Whether a query or update could name a remote target, judged without a
    parser: the letters of ``SERVICE`` or ``LOAD`` anywhere, in any case, after
    SPARQL's ``\\u`` escapes are decoded.  Used only when no isolation works; it
    refuses some innocent texts (a literal with "download") rather than miss one.
    """
    folded = text.casefold()
    if "\\u" in folded:
        with contextlib.suppress(UnicodeDecodeError, ValueError):
            folded += "\n" + text.encode("latin-1", "backslashreplace").decode(
                "unicode_escape").casefold()
    return "service" in folded or "load" in folded


class AllowedAddresses:
    """The addresses allow-listed hosts resolve to, and the DNS servers.

    Names are resolved again every :data:`REFRESH` seconds by a thread of its own
    (started before the filter, so its look-ups are not held): the supervisor only
    reads the set, and never waits for DNS while a call is held."""

    REFRESH = 5.0

    def __init__(self, hosts: Sequence[str]) -> None:
        self.hosts = [h.strip().lower().strip("[]") for h in hosts if h.strip()]
        self.addresses: frozenset[ipaddress.IPv4Address | ipaddress.IPv6Address] = frozenset()
        self.resolvers = _resolvers()
        self._resolve()

    def start_refreshing(self) -> None:
        if any(not _is_address(host) for host in self.hosts):
            threading.Thread(target=self._refresh, name="allow-list-dns", daemon=True).start()

    def _refresh(self) -> None:
        while True:
            time.sleep(self.REFRESH)
            try:
                self._resolve()
            except Exception:  # keep the last good set
                log.exception("resolving the allow-listed hosts failed")

    def _resolve(self) -> None:
        found: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
        for host in self.hosts:
            try:
                found.add(_plain(ipaddress.ip_address(host)))
                continue
            except ValueError:
                pass
            with contextlib.suppress(OSError, UnicodeError):
                for *_, sockaddr in socket.getaddrinfo(host, None):
                    found.add(_plain(ipaddress.ip_address(sockaddr[0].split("%")[0])))
        self.addresses = frozenset(found)  # replaced whole: readers see one set or the other

    def allows(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return _plain(address) in self.addresses


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _plain(address: ipaddress.IPv4Address | ipaddress.IPv6Address):  # type: ignore[no-untyped-def]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _resolvers() -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    found = set()
    with contextlib.suppress(OSError):
        for line in open("/etc/resolv.conf", encoding="utf-8", errors="replace"):  # noqa: SIM115
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "nameserver":
                with contextlib.suppress(ValueError):
                    found.add(_plain(ipaddress.ip_address(parts[1].split("%")[0])))
    return found


class Supervisor(threading.Thread):
    """Decides, for each held network call, whether it may go on."""

    def __init__(self, rules, allowed: AllowedAddresses, sc) -> None:  # type: ignore[no-untyped-def]
        super().__init__(name="network-supervisor", daemon=True)
        self.rules = rules
        self.allowed = allowed
        self.sc = sc
        self.loaded = threading.Event()
        self.numbers = {
            sc.resolve_syscall(sc.system_arch(), name): name
            for name in ("connect", "sendto", "sendmsg", "sendmmsg")
        }

    def run(self) -> None:
        self.loaded.wait()
        sc = self.sc
        while True:
            try:
                notice = self.rules.receive_notify()
            except OSError as error:
                if error.errno in (errno.EINTR, errno.ENOENT):
                    continue
                log.error("network supervisor stopped: %s", error)
                os._exit(70)  # fail closed: a sandbox nobody supervises must not go on
            try:
                allowed = self.decide(notice)
            except Exception:  # a decision that fails refuses
                log.exception("network supervisor could not read a call")
                allowed = False
            response = (
                sc.NotificationResponse(0, _NOTIFY_CONTINUE, notice.id, 0)
                if allowed
                else sc.NotificationResponse(-errno.EACCES, 0, notice.id, 0)
            )
            with contextlib.suppress(OSError):
                self.rules.respond_notify(response)

    def decide(self, notice) -> bool:  # type: ignore[no-untyped-def]
        name = self.numbers.get(notice.syscall)
        args = notice.syscall_args
        with open(f"/proc/{notice.pid}/mem", "rb", buffering=0) as mem:
            if name == "connect":
                return self.address_allowed(notice.pid, args[0], _read(mem, args[1], args[2]))
            if name == "sendto":
                if args[4] == 0:  # a connected socket: checked when it connected
                    return True
                return self.address_allowed(notice.pid, args[0], _read(mem, args[4], args[5]))
            if name == "sendmsg":
                return self.message_allowed(notice.pid, args[0], mem, args[1])
            if name == "sendmmsg":
                count = min(int(args[2]), 1024)
                return all(
                    self.message_allowed(notice.pid, args[0], mem, args[1] + i * _MMSGHDR)
                    for i in range(count)
                )
        return False

    def message_allowed(self, pid: int, fd: int, mem, header: int) -> bool:  # type: ignore[no-untyped-def]
        name, length = struct.unpack("=QI", _read(mem, header, 12))
        if name == 0:
            return True
        return self.address_allowed(pid, fd, _read(mem, name, length))

    def address_allowed(self, pid: int, fd: int, raw: bytes) -> bool:
        if len(raw) < 2:
            return False
        (family,) = struct.unpack_from("=H", raw)
        if family in (socket.AF_UNIX, socket.AF_NETLINK):
            return True
        if family == socket.AF_INET and len(raw) >= 8:
            port = struct.unpack_from("!H", raw, 2)[0]
            address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv4Address(
                raw[4:8])
        elif family == socket.AF_INET6 and len(raw) >= 24:
            port = struct.unpack_from("!H", raw, 2)[0]
            address = ipaddress.IPv6Address(raw[8:24])
        else:
            return False
        if address == ipaddress.IPv4Address("0.0.0.0") and port == 0:
            return True
        if self.allowed.allows(address):
            return True
        return (port == 53 and _plain(address) in self.allowed.resolvers
                and _is_udp(pid, fd))


#: ``sizeof(struct mmsghdr)`` on 64-bit Linux (a 56-byte msghdr, a length, padding).
_MMSGHDR = 64


def _read(mem, address: int, size: int) -> bytes:  # type: ignore[no-untyped-def]
    size = max(0, min(int(size), 256))
    if not address or not size:
        return b""
    return os.pread(mem.fileno(), size, address)


def _is_udp(pid: int, fd: int) -> bool:
    """Whether a thread's descriptor is a UDP socket.  The held thread is one of this
    process's own (the sandbox supervises itself), so the descriptor is ours too and
    its type is asked of the kernel; any other caller is refused."""
    if _thread_group(pid) != os.getpid():
        return False
    try:
        copy = os.dup(fd)
    except OSError:
        return False
    try:
        probe = socket.socket(fileno=copy)  # family and type from the kernel
    except OSError:
        os.close(copy)
        return False
    with probe:  # closes the copy, not the thread's socket
        return probe.type == socket.SOCK_DGRAM and probe.family in (
            socket.AF_INET, socket.AF_INET6)


def _thread_group(tid: int) -> int | None:
    try:
        with open(f"/proc/{tid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Tgid:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None
