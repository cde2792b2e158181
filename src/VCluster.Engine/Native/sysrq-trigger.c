/*
 * The kernel's /proc/sysrq-trigger on a machine whose kernel was built without it
 * (CONFIG_MAGIC_SYSRQ off), preloaded into every node process.
 *
 * Ganeti's node setup check (backend.py, VerifyNode: NV_NODESETUP) requires the file, so on
 * such a kernel gnt-cluster verify reports ENODESETUP on every node, and each Ganeti QA test
 * that runs verify fails for a reason that is the machine's, not Ganeti's or the cluster's.
 * Every real machine Ganeti supports has the file. Here it reads as what it is there: a
 * write-only regular file of size 0; writes go nowhere (a virtual node is never rebooted
 * through it: only the KVM and Xen hypervisors write to it). Where the kernel has the file,
 * nothing changes.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char Trigger[] = "/proc/sysrq-trigger";

/* True when the path names the trigger and the kernel lacks it. */
static int emulated(const char *path)
{
    static int kernel_has_it = -1;
    if (!path || strcmp(path, Trigger) != 0)
        return 0;
    if (kernel_has_it < 0) {
        int (*real_access)(const char *, int) = dlsym(RTLD_NEXT, "access");
        kernel_has_it = real_access(Trigger, F_OK) == 0;
    }
    return !kernel_has_it;
}

/* What the kernel reports for it: procfs, regular, mode 0200, owned by root, empty. */
static int describe(struct stat64 *st)
{
    int (*real_stat)(const char *, struct stat64 *) = dlsym(RTLD_NEXT, "stat64");
    int rc = real_stat("/proc/sys", st);
    if (rc != 0)
        return rc;
    st->st_mode = S_IFREG | 0200;
    st->st_nlink = 1;
    st->st_size = 0;
    st->st_blocks = 0;
    st->st_ino = 0x5359;   /* no other procfs entry at the root has it */
    return 0;
}

int stat64(const char *path, struct stat64 *st)
{
    if (emulated(path))
        return describe(st);
    int (*real)(const char *, struct stat64 *) = dlsym(RTLD_NEXT, "stat64");
    return real(path, st);
}

int stat(const char *path, struct stat *st)
{
    if (emulated(path))
        return describe((struct stat64 *)st);   /* the same layout on 64-bit Linux */
    int (*real)(const char *, struct stat *) = dlsym(RTLD_NEXT, "stat");
    return real(path, st);
}

int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
    if (emulated(path))
        return describe(st);
    int (*real)(int, const char *, struct stat64 *, int) = dlsym(RTLD_NEXT, "fstatat64");
    return real(dirfd, path, st, flags);
}

int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    if (emulated(path))
        return describe((struct stat64 *)st);
    int (*real)(int, const char *, struct stat *, int) = dlsym(RTLD_NEXT, "fstatat");
    return real(dirfd, path, st, flags);
}

int access(const char *path, int mode)
{
    if (emulated(path)) {
        if (mode & (R_OK | X_OK)) {
            errno = EACCES;
            return -1;
        }
        return 0;
    }
    int (*real)(const char *, int) = dlsym(RTLD_NEXT, "access");
    return real(path, mode);
}

/* Opening it for writing opens a sink; reading it fails as on the kernel. */
static int open_trigger(int flags)
{
    if ((flags & O_ACCMODE) == O_RDONLY) {
        errno = EACCES;
        return -1;
    }
    int (*real)(const char *, int, ...) = dlsym(RTLD_NEXT, "open64");
    return real("/dev/null", flags & ~(O_CREAT | O_EXCL | O_TRUNC));
}

/* open(2) and open64(2) alike: the mode argument exists only when a file may be created. */
static int open_through(const char *real_name, const char *path, int flags, va_list ap)
{
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
    if (emulated(path))
        return open_trigger(flags);
    int (*real)(const char *, int, ...) = dlsym(RTLD_NEXT, real_name);
    return real(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int fd = open_through("open64", path, flags, ap);
    va_end(ap);
    return fd;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int fd = open_through("open", path, flags, ap);
    va_end(ap);
    return fd;
}
