"""The sandbox's supervisor: the first process inside every sandbox, and its last word.

The sandbox runs ``python -c <this file> CONFIG COMMAND...`` — standard library only,
because nothing of specloop's is importable where it runs. In order, it

1. (namespace mode, as root of fresh user, mount, PID and network namespaces) builds
   a new root holding only what the command needs — the system's programs and
   libraries, a few files of /etc, the Python installation, the sandbox folder
   (read-only) with its ``home/`` and ``tmp/`` as small tmpfs, a private /proc, /dev
   and /tmp — and moves into it. Nothing else of the machine exists there: no home
   folders, no /run or /tmp sockets, no project, no credentials.
2. becomes a child subreaper (in namespace mode it is PID 1 anyway), so every process
   the command starts stays below it, even one that leaves its session;
3. forks the command, which confines itself before exec: no capabilities (an empty
   bounding set), another user when asked (``nobody``), no new privileges, an
   ``RLIMIT_NPROC`` when that count is its own, a seccomp filter on ``socket()`` (Unix
   sockets always, every family when there is no network namespace) and, when asked, a
   Landlock ruleset (reads below the listed paths only, writes below the writable ones
   only, no TCP, no signals or abstract sockets outside the sandbox);
4. watches the whole tree — its total memory, its process count, the disk used in the
   writable folders — and past a limit stops everything and says which limit;
5. when the command ends, or when it is told to stop (SIGTERM), kills whatever is
   left, so nothing outlives the run.

What it says to the sandbox travels on stderr in lines starting with MARK; its exit
status is the command's (128 + N for a signal N), SETUP_FAILED when it could not set
the sandbox up, LIMIT_EXCEEDED when a limit of the whole tree stopped it.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import platform
import resource
import signal
import struct
import sys
import time
from collections.abc import Iterable
from typing import Any

MARK = "specloop sandbox:"
SETUP_FAILED = 125
LIMIT_EXCEEDED = 124
_POLL_S = 0.05
_DISK_EVERY = 10  # polls between two counts of the writable folders
_NICENESS = 10

# prctl, capability, mount and seccomp constants (linux/prctl.h, mount.h, seccomp.h, filter.h)
_PR_CAPBSET_DROP = 24
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_PDEATHSIG = 1
_CAP_LAST = 63
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_MS_NOATIME, _MS_NODIRATIME, _MS_RELATIME = 1024, 2048, 1 << 21
# statvfs f_flag bits that a remount inside a user namespace must keep (they are locked)
_LOCKED_FLAGS = {1: _MS_RDONLY, 2: _MS_NOSUID, 4: _MS_NODEV, 8: _MS_NOEXEC, 1024: _MS_NOATIME,
                 2048: _MS_NODIRATIME, 4096: _MS_RELATIME}  # fmt: skip
_SECCOMP_MODE_FILTER = 2
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_BPF_LD_W_ABS, _BPF_JEQ_K, _BPF_JSET_K, _BPF_RET_K = 0x20, 0x15, 0x45, 0x06
_EACCES = 13
_AF_UNIX = 1
# machine -> (audit arch, socket syscall number, the bit that marks a foreign ABI's calls)
_ARCHES = {"x86_64": (0xC000003E, 41, 0x40000000), "aarch64": (0xC00000B7, 198, 0)}
# System calls no checked code needs and that walk around the sandbox's limits: io_uring
# opens sockets (and files) without socket(), memfd_create and memfd_secret hold memory no
# limit of the process tree counts, userfaultfd serves exploits. machine -> numbers.
_DENIED = {
    "x86_64": (425, 426, 427, 319, 447, 323),  # io_uring_setup/enter/register, memfd_create,
    "aarch64": (425, 426, 427, 279, 447, 282),  # memfd_secret, userfaultfd
}

# Landlock (linux/landlock.h); the syscall numbers are the same on x86_64 and aarch64.
_SYS_LANDLOCK_CREATE_RULESET = 444
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
_READ_RIGHTS = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1, 2

_DEVICES = ("null", "zero", "full", "random", "urandom")


class SetupError(Exception):
    pass


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> int:
    if result < 0:
        raise SetupError(f"{what} failed: {os.strerror(ctypes.get_errno())}")
    return result


# ---------------------------------------------------------------- the new root (namespaces)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    libc = _libc()
    result = libc.mount(
        source.encode() if source else None,
        target.encode(),
        fstype.encode() if fstype else None,
        ctypes.c_ulong(flags),
        data.encode() if data else None,
    )
    _check(result, f"mount {source or fstype} on {target}")


def _bind_read_only(source: str, target: str) -> None:
    _mount(source, target, None, _MS_BIND | _MS_REC)
    locked = 0
    try:
        existing = os.statvfs(source).f_flag
        locked = sum(flag for bit, flag in _LOCKED_FLAGS.items() if existing & bit)
    except OSError:
        pass
    flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV | locked
    _mount(None, target, None, flags)


def _make_parents(path: str) -> None:
    os.makedirs(os.path.dirname(path) or "/", exist_ok=True)


def _place(source: str, new_root: str) -> None:
    """Show ``source`` (a folder, file or symlink) at the same path in the new root."""
    target = new_root + source
    if os.path.lexists(target):
        return
    _make_parents(target)
    if os.path.islink(source):
        os.symlink(os.readlink(source), target)
    elif os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
        _bind_read_only(source, target)
    elif os.path.exists(source):
        with open(target, "w"):
            pass
        _bind_read_only(source, target)


def build_root(root: dict[str, Any]) -> str:
    """Mount the new root at ``root["at"]``; returns it. Runs as root of the namespaces."""
    new_root = root["at"]
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing propagates back to the host
    _mount("specloop", new_root, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755,size=16m")
    for folder in ("proc", "dev", "tmp"):
        os.makedirs(f"{new_root}/{folder}")
    # /tmp first: the sandbox folder usually lives below the host's /tmp and shows there.
    _mount("specloop", f"{new_root}/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=1777,size=16m")
    for path in root["show"]:
        _place(path, new_root)
    for path, size_mb in root["writable"].items():
        _mount("specloop", new_root + path, "tmpfs", _MS_NOSUID | _MS_NODEV,
               f"mode=1777,size={size_mb}m")  # fmt: skip
    _mount("proc", f"{new_root}/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    _mount("specloop", f"{new_root}/dev", "tmpfs", _MS_NOSUID, "mode=0755,size=1m")
    for name in _DEVICES:
        device = f"{new_root}/dev/{name}"
        with open(device, "w"):
            pass
        _mount(f"/dev/{name}", device, None, _MS_BIND)
    os.makedirs(f"{new_root}/dev/shm")
    _mount("specloop", f"{new_root}/dev/shm", "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=1777,size=16m")
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):  # fmt: skip
        os.symlink(target, f"{new_root}/dev/{name}")
    _mount(None, new_root, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    return str(new_root)


def enter(new_root: str, workdir: str) -> None:
    os.chroot(new_root)
    os.chdir(workdir)


# ---------------------------------------------------------------- privileges


def drop_privileges(drop_to: list[int] | None) -> None:
    """No capabilities after exec (an empty bounding set), another user if asked, no_new_privs."""
    libc = _libc()
    for capability in range(_CAP_LAST + 1):
        libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0)  # EINVAL past the last one: fine
    if drop_to is not None:
        uid, gid = drop_to
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


# ---------------------------------------------------------------- Landlock


def landlock_abi() -> int:
    """The Landlock ABI the kernel offers (0: none)."""
    version = _libc().syscall(_SYS_LANDLOCK_CREATE_RULESET, None, 0, 1)
    return max(int(version), 0)


def _fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1  # every right of ABI 1
    if abi >= 2:
        rights |= _FS_REFER
    if abi >= 3:
        rights |= _FS_TRUNCATE
    if abi >= 5:
        rights |= _FS_IOCTL_DEV
    return rights


def apply_landlock(read: Iterable[str], write: Iterable[str]) -> int:
    """Restrict this process (and what it runs) to ``read`` and ``write``; the ABI used."""
    abi = landlock_abi()
    if abi < 1:
        raise SetupError("Landlock is not available")
    libc = _libc()
    handled = _fs_rights(abi)
    fields = [handled]
    if abi >= 4:
        fields.append(_NET_BIND_TCP | _NET_CONNECT_TCP)
    if abi >= 6:
        fields.append(_SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL)
    attr = ctypes.create_string_buffer(struct.pack(f"={len(fields)}Q", *fields), 8 * len(fields))
    ruleset = _check(
        libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, attr, 8 * len(fields), 0), "Landlock ruleset"
    )
    try:
        for path in read:
            _allow(libc, ruleset, path, _READ_RIGHTS)
        for path in write:
            _allow(libc, ruleset, path, handled)
        _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        _check(libc.syscall(_SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0), "Landlock restrict")
    finally:
        os.close(ruleset)
    return abi


def _allow(libc: Any, ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # Not on this machine: nothing to allow.
    try:
        if not os.path.isdir(path):
            rights &= _FILE_RIGHTS
        attr = ctypes.create_string_buffer(struct.pack("=Qi", rights, fd), 12)
        _check(libc.syscall(_SYS_LANDLOCK_ADD_RULE, ruleset, 1, attr, 0), f"Landlock rule {path}")
    finally:
        os.close(fd)


# ---------------------------------------------------------------- seccomp


def apply_socket_filter(block_all: bool) -> None:
    """``socket()`` fails with EACCES for Unix sockets, or for every family.

    ``socketpair()`` stays allowed: asyncio and multiprocessing need it and it reaches
    nothing. System calls of a foreign ABI (i386, x32) are refused outright, and so are
    io_uring, memfd_create, memfd_secret and userfaultfd (`_DENIED`).
    """
    machine = platform.machine()
    if machine not in _ARCHES:
        raise SetupError(f"there is no socket filter for {machine}")
    arch, socket_nr, foreign_bit = _ARCHES[machine]
    deny = _SECCOMP_RET_ERRNO | _EACCES
    program = [
        (_BPF_LD_W_ABS, 0, 0, 4),  # the architecture
        (_BPF_JEQ_K, 1, 0, arch),
        (_BPF_RET_K, 0, 0, deny),
        (_BPF_LD_W_ABS, 0, 0, 0),  # the system call number
    ]
    if foreign_bit:
        program += [(_BPF_JSET_K, 0, 1, foreign_bit), (_BPF_RET_K, 0, 0, deny)]
    for number in _DENIED[machine]:
        program += [(_BPF_JEQ_K, 0, 1, number), (_BPF_RET_K, 0, 0, deny)]
    if block_all:
        program += [(_BPF_JEQ_K, 0, 1, socket_nr)]
    else:
        program += [
            (_BPF_JEQ_K, 0, 3, socket_nr),
            (_BPF_LD_W_ABS, 0, 0, 16),  # the low half of the first argument: the family
            (_BPF_JEQ_K, 0, 1, _AF_UNIX),
        ]
    program += [(_BPF_RET_K, 0, 0, deny), (_BPF_RET_K, 0, 0, _SECCOMP_RET_ALLOW)]
    code = b"".join(struct.pack("=HBBI", *instruction) for instruction in program)
    filters = ctypes.create_string_buffer(code, len(code))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(program), ctypes.cast(filters, ctypes.c_void_p))
    libc = _libc()
    _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    _check(libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0), "seccomp")


# ---------------------------------------------------------------- the process tree


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc/<pid>/task/*/children)."""
    found: list[int] = []
    stack = [pid]
    while stack:
        parent = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as handle:
                    children = [int(child) for child in handle.read().split()]
            except (OSError, ValueError):
                continue
            found.extend(children)
            stack.extend(children)
    return found


def _processes_of(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as handle:
                    for line in handle:
                        if line.startswith("Uid:"):
                            count += int(line.split()[1]) == uid
                            break
            except OSError:
                continue
    return count


def _resident_bytes(pids: Iterable[int]) -> int:
    """The tree's memory, each shared page counted once in all (PSS), where the kernel has it.

    RSS would count a page shared by 200 forked children 200 times and call a fork bomb
    a memory hog.
    """
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                total += next(
                    int(line.split()[1]) * 1024 for line in handle if line.startswith("Pss:")
                )
            continue
        except (OSError, ValueError, IndexError, StopIteration):
            pass
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * page
        except (OSError, ValueError, IndexError):
            continue
    return total


class DiskWatch:
    """What the tree has written to its writable folders, watched cheaply and counted exactly.

    The count is the files below the folders plus the files the tree deleted but still
    holds, open or mapped, on the folders' file systems: a folder walk cannot see those.
    Counting walks folders, so it runs every few polls — and at once whenever the free
    space of those file systems fell by more than the limit since the last count (one
    ``statvfs`` per poll), so a fast writer is caught within a poll, even under load.
    """

    def __init__(self, folders: list[str], limit_bytes: int) -> None:
        self.folders, self.limit = folders, limit_bytes
        self.devices = {os.stat(folder).st_dev: folder for folder in folders}
        self.reference = self._free()  # the free space there would be without the tree's files
        self.estimate = 0

    def pause(self, seconds: float) -> None:
        """Sleep ``seconds``, but past half the limit wake early once the free space says so."""
        if self.estimate <= self.limit // 2:
            time.sleep(seconds)
            return
        until = time.monotonic() + seconds
        while time.monotonic() < until and self._grown() <= self.limit:
            time.sleep(seconds / 10)

    def exceeded(self, tree: list[int], count_now: bool) -> bool:
        self.estimate = self._grown()
        if not count_now and self.estimate <= self.limit:
            return False
        used = self.count(tree)
        self.reference = self._free() + used
        return used > self.limit

    def count(self, tree: list[int]) -> int:
        total = 0
        for folder in self.folders:
            for directory, _, files in os.walk(folder):
                for name in files:
                    try:
                        total += os.lstat(os.path.join(directory, name)).st_blocks * 512
                    except OSError:
                        continue
        return total + sum(self._held_after_deletion(tree).values())

    def _grown(self) -> int:
        """How far the free space fell since the last count: at least what the tree wrote,
        unless something else freed space meanwhile (the periodic count covers that)."""
        return self.reference - self._free()

    def _free(self) -> int:
        free = 0
        for folder in self.devices.values():
            try:
                info = os.statvfs(folder)
            except OSError:
                continue
            free += info.f_bfree * info.f_frsize
        return free

    def _held_after_deletion(self, tree: list[int]) -> dict[tuple[int, int], int]:
        held: dict[tuple[int, int], int] = {}
        for pid in tree:
            with contextlib.suppress(OSError):
                for name in os.listdir(f"/proc/{pid}/fd"):
                    with contextlib.suppress(OSError):
                        info = os.stat(f"/proc/{pid}/fd/{name}")
                        if info.st_nlink == 0 and info.st_dev in self.devices:
                            held[info.st_dev, info.st_ino] = info.st_blocks * 512
            with contextlib.suppress(OSError, ValueError), open(f"/proc/{pid}/maps") as maps:
                for line in maps:
                    if not line.rstrip().endswith("(deleted)"):
                        continue
                    span, _, offset, device_text, inode = line.split(maxsplit=5)[:5]
                    major, minor = (int(part, 16) for part in device_text.split(":"))
                    device = os.makedev(major, minor)
                    if device in self.devices:
                        start, end = (int(part, 16) for part in span.split("-"))
                        key = (device, int(inode))
                        held[key] = max(held.get(key, 0), int(offset, 16) + end - start)
        return held


def kill_tree() -> None:
    """SIGKILL every descendant until none is left (forks racing the kill lose)."""
    me = os.getpid()
    for _ in range(1000):
        victims = descendants(me)
        if not victims:
            return
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _reap()
        time.sleep(0.005)


def _reap() -> dict[int, int]:
    """Collect every finished child: pid -> exit code (128 + N for a signal N)."""
    finished: dict[int, int] = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return finished
        if pid == 0:
            return finished
        code = os.waitstatus_to_exitcode(status)
        finished[pid] = 128 - code if code < 0 else code


# ---------------------------------------------------------------- a pids cgroup


def make_pids_group(limit: int) -> str | None:
    """A pids cgroup below ours allowing ``limit`` processes; None where we may not make one.

    RLIMIT_NPROC never applies to root, so as root this is what caps the process count.
    """
    for group in _pids_groups(os.getpid()):
        try:
            os.mkdir(group)
            with open(os.path.join(group, "pids.max"), "w") as handle:
                handle.write(str(limit))
        except OSError:
            with contextlib.suppress(OSError):
                os.rmdir(group)
            continue
        return group
    return None


def sweep_pids_group(supervisor_pid: int) -> None:
    """Kill whatever is still in a supervisor's group, and remove it (if it was not)."""
    for group in _pids_groups(supervisor_pid):
        if not os.path.isdir(group):
            continue
        for _ in range(100):
            try:
                with open(os.path.join(group, "cgroup.procs")) as handle:
                    members = [int(pid) for pid in handle.read().split()]
            except (OSError, ValueError):
                break
            if not members:
                break
            for pid in members:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)
        with contextlib.suppress(OSError):
            os.rmdir(group)


def sweep_stale_groups() -> None:
    """Remove the pids groups of supervisors that are gone (a specloop killed mid-run)."""
    for group in _pids_groups(os.getpid()):
        parent = os.path.dirname(group)
        try:
            names = os.listdir(parent)
        except OSError:
            continue
        for name in names:
            owner = name.removeprefix("specloop-")
            if name.startswith("specloop-") and owner.isdigit() and not alive(int(owner)):
                sweep_pids_group(int(owner))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pids_groups(pid: int) -> list[str]:
    """Where a pids group for supervisor ``pid`` would be, in each hierarchy that has one."""
    try:
        with open("/proc/self/cgroup") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        hierarchy, controllers, path = line.split(":", 2)
        if "pids" in controllers.split(","):
            found.append(f"/sys/fs/cgroup/pids{path}/specloop-{pid}")
        elif hierarchy == "0" and _has_pids_v2(f"/sys/fs/cgroup{path}"):
            found.append(f"/sys/fs/cgroup{path}/specloop-{pid}")
    return found


def _has_pids_v2(folder: str) -> bool:
    try:
        with open(os.path.join(folder, "cgroup.subtree_control")) as handle:
            return "pids" in handle.read().split()
    except OSError:
        return False


def _join(group: str) -> None:
    with open(os.path.join(group, "cgroup.procs"), "w") as handle:
        handle.write(str(os.getpid()))


# ---------------------------------------------------------------- main


def _say(message: str) -> None:
    os.write(2, f"\n{MARK} {message}\n".encode())


def _start(command: list[str], config: dict[str, Any], group: str | None) -> None:
    """In the command's process, before exec: what confines it for good."""
    libc = _libc()
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if group is not None:
        _join(group)
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    # Below its supervisor's priority: a busy machine starves the command, not the watch.
    os.nice(_NICENESS)
    drop_privileges(config.get("drop_to"))
    if config.get("nproc"):
        # RLIMIT_NPROC counts every process of the user; without a user of its own the
        # sandbox gets that many more than the user runs now.
        extra = _processes_of(os.getuid()) if config.get("nproc_shared") else 0
        resource.setrlimit(resource.RLIMIT_NPROC, (config["nproc"] + extra,) * 2)
    landlock = config.get("landlock")
    if landlock is not None:
        apply_landlock(landlock["read"], landlock["write"])
    if config.get("seccomp"):
        apply_socket_filter(block_all=config["seccomp"] == "all")
    os.execvp(command[0], command)


def main(argv: list[str]) -> int:
    config = json.loads(argv[0])
    command = argv[1:]
    try:
        if config.get("root") is not None:
            enter(build_root(config["root"]), config["workdir"])
        else:
            os.chdir(config["workdir"])
        _check(_libc().prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "subreaper")
    except (OSError, SetupError) as error:
        _say(f"could not be set up: {error}")
        return SETUP_FAILED
    stop: list[int] = []

    def on_signal(number: int, frame: object) -> None:
        stop.append(number)

    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, on_signal)
    group = make_pids_group(config["processes"]) if config.get("processes") else None
    child = os.fork()
    if child == 0:
        try:
            _start(command, config, group)
        except BaseException as error:  # whatever it is, say it, then leave
            _say(f"could not start the command: {error}")
        os._exit(SETUP_FAILED)
    try:
        return _watch(child, config, stop)
    finally:
        if group is not None:
            with contextlib.suppress(OSError):
                os.rmdir(group)


def _watch(child: int, config: dict[str, Any], stop: list[int]) -> int:
    memory, processes = config.get("memory_mb"), config.get("processes")
    disk = config.get("disk_mb")
    watch = DiskWatch(config.get("writable", []), disk * 1024 * 1024) if disk else None
    # Its own deadline: nothing below it outlives the run, even if specloop is gone.
    deadline = time.monotonic() + float(config.get("deadline_s") or 86_400)
    me = os.getpid()
    polls = 0
    while True:
        finished = _reap()
        if child in finished:
            kill_tree()  # whatever the command left behind goes with it
            return finished[child]
        if stop:
            kill_tree()
            return 128 + stop[0]
        if time.monotonic() > deadline:
            kill_tree()
            _say("stopped: it ran past the sandbox's deadline.")
            return LIMIT_EXCEEDED
        tree = descendants(me)
        if processes and len(tree) > processes:
            kill_tree()
            _say(f"stopped: it started more than {processes} processes.")
            return LIMIT_EXCEEDED
        if memory and _resident_bytes(tree) > memory * 1024 * 1024:
            kill_tree()
            _say(f"stopped: its processes used more than {memory} MB of memory in all.")
            return LIMIT_EXCEEDED
        polls += 1
        if watch is not None and watch.exceeded(tree, count_now=polls % _DISK_EVERY == 0):
            kill_tree()
            _say(f"stopped: it wrote more than {disk} MB to disk.")
            return LIMIT_EXCEEDED
        if watch is not None:
            watch.pause(_POLL_S)
        else:
            time.sleep(_POLL_S)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
