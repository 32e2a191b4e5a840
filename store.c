/* store.c - see store.h */
#include "store.h"
#include "util.h"

#include <poll.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int store_path(char *out, size_t cap, const char *dir, const char *name)
{
	int n = str_fmt(out, cap, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int store_mkdirs(const char *path, mode_t mode)
{
	char tmp[STORE_MAX_PATH];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof tmp) {
		err("%s: path too long", path);
		return -1;
	}
	memcpy(tmp, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST) {
			err("%s: cannot create directory: %s", tmp, strerror(errno));
			return -1;
		}
		if (i < len)
			tmp[i] = '/';
	}
	return 0;
}

/* The permission bits as ls writes them in octal, "644" (str_fmt has no %o). */
static const char *mode_text(mode_t mode, char out[4])
{
	out[0] = (char)('0' + ((mode >> 6) & 7));
	out[1] = (char)('0' + ((mode >> 3) & 7));
	out[2] = (char)('0' + (mode & 7));
	out[3] = '\0';
	return out;
}

/* secret: the file must be ours and closed to group and others. */
static int read_file(const char *path, char *buf, size_t cap, size_t *len, int secret)
{
	int fd = -1, ret = -1;
	size_t n = 0;
	struct stat st;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			ret = 1;
			goto out;
		}
		err("%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	if (secret && (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077) != 0)) {
		char m[4];

		err("%s: a private key that other users can read or that is not ours (mode %s); "
		    "refusing it (chmod 600)", path, mode_text(st.st_mode, m));
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			err("%s: file too large (limit %zu bytes)", path, cap - 1);
			goto out;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err("%s: read error: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

int store_read(const char *path, char *buf, size_t cap, size_t *len)
{
	return read_file(path, buf, cap, len, 0);
}

int store_read_secret(const char *path, char *buf, size_t cap, size_t *len)
{
	return read_file(path, buf, cap, len, 1);
}

static int fsync_dir_of(const char *path)
{
	char d[STORE_MAX_PATH];
	char *slash;
	int fd, ret;

	if (str_copy(d, sizeof d, path) < 0)
		return -1;
	slash = strrchr(d, '/');
	if (slash == NULL)
		memcpy(d, ".", 2);
	else if (slash == d)
		d[1] = '\0';
	else
		*slash = '\0';
	fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = fsync(fd);
	close(fd);
	return ret;
}

int store_write(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[STORE_MAX_PATH];
	const char *p = data;
	int fd = -1, ret = -1;
	int n = str_fmt(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());

	if (n < 0 || (size_t)n >= sizeof tmp) {
		err("%s: path too long", path);
		return -1;
	}
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		err("%s: cannot create: %s", tmp, strerror(errno));
		goto out;
	}
	/* umask must not widen or narrow what we asked for. */
	if (fchmod(fd, mode) < 0)
		goto io_fail;
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto io_fail;
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0)
		goto io_fail;
	if (close(fd) < 0) {
		fd = -1;
		goto io_fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto io_fail;
	fsync_dir_of(path);
	ret = 0;
	goto out;
io_fail:
	err("%s: write failed: %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		unlink(tmp);
	return ret;
}

int store_account_dir(char *out, size_t cap, const char *dir, const char *directory_url)
{
	char id[256];
	const char *s = directory_url;
	size_t n = 0;

	if (strncmp(s, "https://", 8) == 0)
		s += 8;
	for (; *s && n + 1 < sizeof id; s++) {
		char c = *s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-')
			id[n++] = c;
		else
			id[n++] = '_';
	}
	if (*s != '\0' || n == 0)
		return -1;
	id[n] = '\0';
	if (id[0] == '.')
		id[0] = '_';
	n = (size_t)str_fmt(out, cap, "%s/accounts/%s", dir, id);
	return n >= cap ? -1 : 0;
}

/* Calls fn(dfd, name, ctx) for each entry of the open directory dfd but "."
 * and "..", listing it with getdents64 into a buffer on the stack: opendir's
 * heap block (2 KiB, and a fresh page of the allocator's) would stay
 * resident for the rest of an issuance. fn may remove the entry it is given.
 * 0 when every call returned 0; else -1 (errno, or fn's error). */
static int each_entry(int dfd, int (*fn)(int dfd, const char *name, void *ctx), void *ctx)
{
	_Alignas(8) char buf[1024];

	if (lseek(dfd, 0, SEEK_SET) < 0)
		return -1;
	for (;;) {
		long n = syscall(SYS_getdents64, dfd, buf, sizeof buf);

		if (n <= 0)
			return (int)n;
		for (long pos = 0; pos < n;) {
			/* struct linux_dirent64: ino 8, off 8, reclen 2, type 1, name */
			unsigned short reclen;
			const char *name = buf + pos + 19;

			memcpy(&reclen, buf + pos + 16, sizeof reclen);
			if (reclen < 20 || reclen > n - pos || memchr(name, '\0', reclen - 19U) == NULL) {
				errno = EIO;
				return -1;
			}
			pos += reclen;
			if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && fn(dfd, name, ctx) < 0)
				return -1;
		}
	}
}

struct cert_list {
	int (*fn)(void *ctx, const char *name);
	void *ctx;
	int n;
};

/* A certificate is a link of ours: <dir>/NAME -> .NAME.gN. */
static int list_entry(int dfd, const char *name, void *ctx)
{
	struct cert_list *l = ctx;
	struct stat st;

	if (name[0] == '.' || strcmp(name, "accounts") == 0 ||
	    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
		return 0;
	l->n++;
	l->fn(l->ctx, name);
	return 0;
}

int store_publish(const char *dir, const char *name, const char *prefix)
{
	static const char *const links[][2] = { { ".crt", "cert.pem" },
						{ ".key", "key.pem" },
						{ ".fullchain.crt", "fullchain.pem" },
						{ ".chain.crt", "chain.pem" },
						{ ".combined.crt", "combined.pem" } };
	char base[STORE_MAX_PATH], target[STORE_MAX_PATH], link[STORE_MAX_PATH];
	char tmp[STORE_MAX_PATH + 16], have[STORE_MAX_PATH];
	int changed = 0, ret = -1;
	size_t n = 0;

	/* The links must work from any directory: an absolute target. */
	if (dir[0] != '/') {
		if (getcwd(base, sizeof base) == NULL) {
			err("%s: cannot find the current directory: %s", dir, strerror(errno));
			goto out;
		}
		n = strlen(base);
	}
	if ((size_t)str_fmt(base + n, sizeof base - n, "%s%s/%s", n ? "/" : "", dir, name) >=
	    sizeof base - n)
		goto too_long;
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
		ssize_t hl;

		if ((size_t)str_fmt(target, sizeof target, "%s/%s", base, links[i][1]) >= sizeof target ||
		    (size_t)str_fmt(link, sizeof link, "%s%s", prefix, links[i][0]) >= sizeof link ||
		    (size_t)str_fmt(tmp, sizeof tmp, "%s.picoacme-new", link) >= sizeof tmp)
			goto too_long;
		hl = readlink(link, have, sizeof have - 1);
		if (hl > 0 && (size_t)hl == strlen(target) && memcmp(have, target, (size_t)hl) == 0)
			continue;
		unlink(tmp);
		if (symlink(target, tmp) < 0 || rename(tmp, link) < 0) {
			err("%s: cannot publish the certificate: %s", link, strerror(errno));
			unlink(tmp);
			goto out;
		}
		changed = 1;
	}
	if (changed && fsync_dir_of(link) < 0) {
		err("%s: cannot make the published links durable: %s", link, strerror(errno));
		goto out;
	}
	ret = 0;
	goto out;
too_long:
	err("--publish %s: path too long", prefix);
out:
	return ret;
}

int store_each_cert(const char *dir, int (*fn)(void *ctx, const char *name), void *ctx)
{
	struct cert_list l = { fn, ctx, 0 };
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (dfd < 0) {
		if (errno == ENOENT)
			return 0;
		err("%s: %s", dir, strerror(errno));
		return -1;
	}
	rc = each_entry(dfd, list_entry, &l);
	if (rc < 0)
		err("%s: %s", dir, strerror(errno));
	close(dfd);
	return rc < 0 ? -1 : l.n;
}

static int unlink_entry(int dfd, const char *name, void *ctx)
{
	(void)ctx;
	return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
}

/* The generation number N of a link target ".NAME.gN" (digits only, no
 * slash), or 0 when target is anything else: only such entries of the
 * store are ever removed. */
static unsigned long generation_of(const char *target, const char *name)
{
	size_t nl = strlen(name);
	const char *end;
	int64_t g;

	if (target[0] != '.' || strncmp(target + 1, name, nl) != 0 || target[1 + nl] != '.' ||
	    target[2 + nl] != 'g' || target[3 + nl] < '1' || target[3 + nl] > '9')
		return 0;
	g = str_to_i64(target + 3 + nl, &end);
	return *end == '\0' && g > 0 && g < 1000000000 ? (unsigned long)g : 0;
}

/* Removes the generation directory entry gen_name of dir and its files,
 * following no link (a link planted in its place is removed as a link, never
 * its target), then makes the removal durable. 0, or -1 with errno. */
static int remove_generation(const char *dir, const char *gen_name)
{
	int dfd = -1, gfd = -1, ret = -1;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		goto out;
	gfd = openat(dfd, gen_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (gfd < 0) {
		if (errno == ENOENT)
			ret = 0;
		else if (errno == ENOTDIR || errno == ELOOP)
			ret = unlinkat(dfd, gen_name, 0) == 0 && fsync(dfd) == 0 ? 0 : -1;
		goto out;
	}
	if (each_entry(gfd, unlink_entry, NULL) < 0 || fsync(gfd) < 0 ||
	    unlinkat(dfd, gen_name, AT_REMOVEDIR) < 0 || fsync(dfd) < 0)
		goto out;
	ret = 0;
out:
	if (gfd >= 0)
		close(gfd);
	if (dfd >= 0)
		close(dfd);
	return ret;
}

int store_install(const char *dir, const char *name, const struct cert_files *f)
{
	char link[STORE_MAX_PATH], target[STORE_MAX_PATH], old[STORE_MAX_PATH];
	char gen[STORE_MAX_PATH], gen_name[300], tmp_link[STORE_MAX_PATH], file[STORE_MAX_PATH];
	unsigned long next = 1;
	ssize_t tl;
	struct stat st;
	int ret = -1, made = 0;
	size_t full_len = strlen(f->fullchain),
	       leaf_len = f->leaf_len < full_len ? f->leaf_len : full_len;
	const struct {
		const char *name;
		const char *data;
		size_t len;
		mode_t mode;
	} files[] = {
		{ "key.pem", f->key, strlen(f->key), 0600 },
		{ "cert.pem", f->fullchain, leaf_len, 0644 },
		{ "chain.pem", f->fullchain + leaf_len, full_len - leaf_len, 0644 },
		{ "fullchain.pem", f->fullchain, full_len, 0644 },
		{ "settings", f->settings, strlen(f->settings), 0600 },
		{ "combined.pem", f->combined, f->combined ? strlen(f->combined) : 0, 0600 },
	};

	old[0] = gen[0] = '\0';
	if (store_path(link, sizeof link, dir, name) < 0)
		goto too_long;
	if (lstat(link, &st) == 0) {
		if (!S_ISLNK(st.st_mode)) {
			err("%s: exists and is not a picoacme certificate link; move it away", link);
			goto out;
		}
		tl = readlink(link, target, sizeof target - 1);
		if (tl > 0)
			target[tl] = '\0';
		/* Only a link to .NAME.gN of this directory is ours: another target
		 * (a planted link to a foreign directory) is never followed, and
		 * never removed. */
		if (tl <= 0 || (next = generation_of(target, name)) == 0) {
			err("%s: exists and is not a picoacme certificate link; move it away", link);
			goto out;
		}
		str_copy(old, sizeof old, target);
		next++;
	}
	if ((size_t)str_fmt(gen_name, sizeof gen_name, ".%s.g%lu", name, next) >= sizeof gen_name ||
	    store_path(gen, sizeof gen, dir, gen_name) < 0 ||
	    (size_t)str_fmt(tmp_link, sizeof tmp_link, "%s/.%s.link", dir, name) >= sizeof tmp_link)
		goto too_long;
	/* leftover of a crash before the link flipped */
	if (remove_generation(dir, gen_name) < 0) {
		err("%s: cannot remove a leftover generation: %s", gen, strerror(errno));
		goto out;
	}
	made = 1;
	if (mkdir(gen, 0700) < 0) {
		err("%s: cannot create directory: %s", gen, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (files[i].data == NULL)
			continue;
		if (store_path(file, sizeof file, gen, files[i].name) < 0)
			goto too_long;
		if (store_write(file, files[i].data, files[i].len, files[i].mode) < 0)
			goto out;
	}
	unlink(tmp_link);
	if (symlink(gen_name, tmp_link) < 0 || rename(tmp_link, link) < 0) {
		err("%s: cannot publish the certificate: %s", link, strerror(errno));
		unlink(tmp_link);
		goto out;
	}
	made = 0; /* published: it stays whatever happens next */
	if (fsync_dir_of(link) < 0) {
		err("%s: cannot make the new certificate durable: %s", link, strerror(errno));
		goto out;
	}
	/* The new pair is in place; an old generation left behind (with its
	 * private key) is not an error of this run: the next run removes it. */
	if (old[0] != '\0' && remove_generation(dir, old) < 0)
		msg("%s/%s: cannot remove the old generation yet (%s); the next run will",
		    dir, old, strerror(errno));
	ret = 0;
	goto out;
too_long:
	err("%s/%s: path too long", dir, name);
out:
	if (ret < 0 && made)
		remove_generation(dir, gen_name);
	return ret;
}

/* The process id in the name of a temporary ("<file>.tmp<pid>" of
 * store_write, ".probe<pid>" of store_prepare), or 0 for another name. */
static long temporary_pid(const char *name)
{
	size_t len = strlen(name);
	const char *t = mem_find(name, len, ".tmp", 4), *digits = NULL, *end;
	int64_t pid;

	while (t != NULL) { /* the last ".tmp" that does not start the name */
		if (t != name)
			digits = t + 4;
		t = mem_find(t + 1, len - (size_t)(t + 1 - name), ".tmp", 4);
	}
	if (strncmp(name, ".probe", 6) == 0)
		digits = name + 6;
	if (digits == NULL || *digits < '1' || *digits > '9')
		return 0;
	pid = str_to_i64(digits, &end);
	return *end == '\0' && pid > 0 && pid <= 0x7fffffff ? (long)pid : 0;
}

struct sweep {
	const char *path; /* the directory being swept, for errors */
	int removed;      /* something was removed: fsync the directory */
};

/* A temporary of another process ("<file>.tmp<pid>", ".probe<pid>"): under
 * the store's lock, what a killed run left. */
static int sweep_temporary(int dfd, const char *name, void *ctx)
{
	struct sweep *sw = ctx;
	long pid = temporary_pid(name);
	struct stat st;

	if (pid == 0 || pid == (long)getpid() || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return 0;
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT) {
		err("%s/%s: cannot remove a leftover temporary: %s", sw->path, name, strerror(errno));
		return -1;
	}
	sw->removed = 1;
	return 0;
}

/* In the store itself: a generation .NAME.gN that NAME does not link to, a
 * temporary link .NAME.link, or a temporary. */
static int sweep_store_entry(int dfd, const char *name, void *ctx)
{
	struct sweep *sw = ctx;
	const char *g = strrchr(name, '.');
	char cert[300], target[300];
	size_t nl;
	ssize_t tl;

	if (name[0] != '.' || g == NULL || g == name)
		return sweep_temporary(dfd, name, ctx);
	nl = (size_t)(g - name) - 1;
	if (nl == 0 || nl >= sizeof cert)
		return sweep_temporary(dfd, name, ctx);
	memcpy(cert, name + 1, nl);
	cert[nl] = '\0';
	if (strcmp(g, ".link") == 0) { /* a link that never replaced NAME */
		struct stat st;

		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
		    unlinkat(dfd, name, 0) < 0 && errno != ENOENT) {
			err("%s/%s: cannot remove: %s", sw->path, name, strerror(errno));
			return -1;
		}
		sw->removed = 1;
		return 0;
	}
	if (generation_of(name, cert) == 0)
		return sweep_temporary(dfd, name, ctx);
	tl = readlinkat(dfd, cert, target, sizeof target - 1);
	if (tl > 0) {
		target[tl] = '\0';
		if (strcmp(target, name) == 0)
			return 0; /* the published one */
	}
	if (remove_generation(sw->path, name) < 0) {
		err("%s/%s: cannot remove a leftover generation: %s", sw->path, name, strerror(errno));
		return -1;
	}
	return 0;
}

/* Runs fn over the directory at dfd, then makes its removals durable. */
static int sweep(int dfd, const char *path, int (*fn)(int, const char *, void *))
{
	struct sweep sw = { path, 0 };

	if (each_entry(dfd, fn, &sw) < 0) {
		if (errno != 0)
			err("%s: cannot read the directory: %s", path, strerror(errno));
		return -1;
	}
	if (sw.removed && fsync(dfd) < 0) {
		err("%s: fsync: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Each account directory: its temporaries. */
static int sweep_account(int dfd, const char *name, void *ctx)
{
	const struct sweep *accounts = ctx;
	char sub[STORE_MAX_PATH];
	int sfd, ret;

	if (name[0] == '.' || store_path(sub, sizeof sub, accounts->path, name) < 0)
		return 0;
	sfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return 0;
	ret = sweep(sfd, sub, sweep_temporary);
	close(sfd);
	return ret;
}

/* Removes what crashed runs left in dir: generations no link publishes, a
 * temporary link, temporaries, here and in each account directory. Only
 * entries of those shapes are touched, and never through a link. 0, or -1
 * with an error. */
static int clean_leftovers(const char *dir)
{
	char path[STORE_MAX_PATH];
	struct sweep accounts = { path, 0 };
	int dfd = -1, afd = -1, ret = -1;

	errno = 0;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		err("%s: cannot read the directory: %s", dir, strerror(errno));
		goto out;
	}
	if (sweep(dfd, dir, sweep_store_entry) < 0)
		goto out;
	if (store_path(path, sizeof path, dir, "accounts") == 0 &&
	    (afd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0 &&
	    each_entry(afd, sweep_account, &accounts) < 0)
		goto out;
	ret = 0;
out:
	if (afd >= 0)
		close(afd);
	if (dfd >= 0)
		close(dfd);
	return ret;
}

int store_prepare(const char *dir)
{
	char probe[STORE_MAX_PATH];
	struct stat st;
	int fd;

	if (store_mkdirs(dir, 0700) < 0)
		return -1;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err("%s: not a directory", dir);
		return -1;
	}
	/* Another user who can write here could swap links under a root run. */
	if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		char m[4];

		err("%s: other users can write to it or it is not ours (owner %u, mode %s); "
		    "refusing to use it", dir, (unsigned)st.st_uid, mode_text(st.st_mode, m));
		return -1;
	}
	if (clean_leftovers(dir) < 0)
		return -1;
	/* A read-only or full file system is found now, not after the CA has
	 * issued a certificate that could then not be stored. */
	if ((size_t)str_fmt(probe, sizeof probe, "%s/.probe%ld", dir, (long)getpid()) >= sizeof probe)
		return -1;
	fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "probe", 5) != 5 || fsync(fd) < 0) {
		err("%s: cannot write to the certificate directory: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(probe);
		return -1;
	}
	close(fd);
	if (unlink(probe) < 0) {
		err("%s: cannot remove %s: %s", dir, probe, strerror(errno));
		return -1;
	}
	return 0;
}

int store_lock(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int waited = 0;

	if (fd < 0 && errno == ENOENT)
		return -2;
	if (fd < 0) {
		err("%s: cannot open: %s", dir, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			err("%s: cannot lock: %s", dir, strerror(errno));
			close(fd);
			return -1;
		}
		if (waited == 0)
			msg("%s: another picoacme run is using it; waiting", dir);
		/* an issuance polls its order for 5 minutes at most */
		if (++waited > STORE_LOCK_WAIT_S * 10) {
			err("%s: still in use by another picoacme run after %d s", dir,
			    STORE_LOCK_WAIT_S);
			close(fd);
			return -1;
		}
		poll(NULL, 0, 100);
	}
	return fd;
}

/* ---- settings ---- */

int settings_add_name(struct cert_settings *s, const char *name)
{
	size_t used = 0, len = strlen(name);

	if (s->nnames > 0)
		used = (size_t)(s->names[s->nnames - 1] - s->names_buf) +
		       strlen(s->names[s->nnames - 1]) + 1;
	if (s->nnames >= STORE_MAX_NAMES || len == 0 || len > STORE_MAX_NAME ||
	    used + len + 1 > sizeof s->names_buf)
		return -1;
	memcpy(s->names_buf + used, name, len + 1);
	s->names[s->nnames++] = s->names_buf + used;
	return 0;
}

static const struct field {
	const char *key;
	size_t off;
	size_t cap;
} fields[] = {
#define F(k, m) { k, offsetof(struct cert_settings, m), sizeof(((struct cert_settings *)0)->m) }
	F("server", server),
	F("key_type", key_type),
	F("challenge", challenge),
	F("webroot", webroot),
	F("http_listen", http_listen),
	F("alpn_listen", alpn_listen),
	F("dns_hook", dns_hook),
	F("email", email),
	F("profile", profile),
	F("hook", hook),
	F("notify", notify),
	F("publish", publish),
	F("preferred_chain", preferred_chain),
#undef F
};

/* Numbers: 0 (absent) up to max. */
static const struct int_field {
	const char *key;
	size_t off;
	int max;
} int_fields[] = {
	{ "days", offsetof(struct cert_settings, days), 3650 },
	{ "dns_wait", offsetof(struct cert_settings, dns_wait), 3600 },
};

void settings_init(struct cert_settings *s)
{
	/* Empty strings, not a memset of the 26 KiB name buffer: pages that are
	 * never written never cost RAM. */
	s->nnames = 0;
	s->days = 0;
	s->dns_wait = 0;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		((char *)s + fields[i].off)[0] = '\0';
}

int settings_format(const struct cert_settings *s, char *out, size_t cap)
{
	size_t n;
	int w;

	w = str_fmt(out, cap, "names=");
	if (w < 0 || (size_t)w >= cap)
		return -1;
	n = (size_t)w;
	for (size_t i = 0; i < s->nnames; i++) {
		w = str_fmt(out + n, cap - n, "%s%s", i ? " " : "", s->names[i]);
		if (w < 0 || (size_t)w >= cap - n)
			return -1;
		n += (size_t)w;
	}
	w = str_fmt(out + n, cap - n, "\n");
	if (w < 0 || (size_t)w >= cap - n)
		return -1;
	n += (size_t)w;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const char *v = (const char *)s + fields[i].off;

		if (*v == '\0')
			continue;
		w = str_fmt(out + n, cap - n, "%s=%s\n", fields[i].key, v);
		if (w < 0 || (size_t)w >= cap - n)
			return -1;
		n += (size_t)w;
	}
	for (size_t i = 0; i < sizeof int_fields / sizeof int_fields[0]; i++) {
		int v = *(const int *)(const void *)((const char *)s + int_fields[i].off);

		if (v <= 0)
			continue;
		w = str_fmt(out + n, cap - n, "%s=%d\n", int_fields[i].key, v);
		if (w < 0 || (size_t)w >= cap - n)
			return -1;
		n += (size_t)w;
	}
	return (int)n;
}

static int parse_names(struct cert_settings *s, const char *v, size_t vl)
{
	size_t i = 0;

	while (i < vl) {
		char name[STORE_MAX_NAME + 1];
		size_t start;

		while (i < vl && v[i] == ' ')
			i++;
		start = i;
		while (i < vl && v[i] != ' ')
			i++;
		if (i == start)
			break;
		if (i - start > STORE_MAX_NAME)
			return -1;
		memcpy(name, v + start, i - start);
		name[i - start] = '\0';
		if (settings_add_name(s, name) < 0)
			return -1;
	}
	return 0;
}

int settings_parse(struct cert_settings *s, const char *text, size_t len, const char *path)
{
	size_t pos = 0;
	int line = 0;

	settings_init(s);
	while (pos < len) {
		const char *l = text + pos, *eq, *nl = memchr(l, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - l) : len - pos, kl, vl;

		pos += ll + (nl != NULL);
		line++;
		if (ll == 0 || l[0] == '#')
			continue;
		eq = memchr(l, '=', ll);
		for (size_t i = 0; i < ll; i++)
			if ((unsigned char)l[i] < 0x20 || l[i] == 0x7f)
				goto bad;
		if (eq == NULL)
			goto bad;
		kl = (size_t)(eq - l);
		vl = ll - kl - 1;
		if (kl == 5 && memcmp(l, "names", 5) == 0) {
			if (parse_names(s, eq + 1, vl) < 0)
				goto bad;
			continue;
		}
		for (size_t i = 0; i < sizeof int_fields / sizeof int_fields[0]; i++) {
			char num[8];
			const char *end;
			int64_t v;

			if (strlen(int_fields[i].key) != kl || memcmp(l, int_fields[i].key, kl) != 0)
				continue;
			if (vl == 0 || vl >= sizeof num)
				goto bad;
			memcpy(num, eq + 1, vl);
			num[vl] = '\0';
			v = str_to_i64(num, &end);
			if (*end != '\0' || v < 0 || v > int_fields[i].max)
				goto bad;
			*(int *)(void *)((char *)s + int_fields[i].off) = (int)v;
		}
		for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
			char *dst = (char *)s + fields[i].off;

			if (strlen(fields[i].key) != kl || memcmp(l, fields[i].key, kl) != 0)
				continue;
			if (vl >= fields[i].cap)
				goto bad;
			memcpy(dst, eq + 1, vl);
			dst[vl] = '\0';
		}
		/* Unknown keys come from newer versions and are ignored. */
	}
	if (s->nnames == 0 || s->server[0] == '\0') {
		err("%s: no names or no server recorded", path);
		return -1;
	}
	return 0;
bad:
	err("%s: line %d is malformed", path, line);
	return -1;
}

int settings_same_certificate(const struct cert_settings *a, const struct cert_settings *b)
{
	if (a->nnames != b->nnames || strcmp(a->server, b->server) != 0 ||
	    strcmp(a->key_type, b->key_type) != 0 || strcmp(a->profile, b->profile) != 0)
		return 0;
	for (size_t i = 0; i < a->nnames; i++)
		if (strcmp(a->names[i], b->names[i]) != 0)
			return 0;
	return 1;
}

int settings_load(const char *dir, const char *name, struct cert_settings *s)
{
	char path[STORE_MAX_PATH];
	char *text = malloc(STORE_MAX_SETTINGS);
	size_t len = 0;
	int rc, ret = -1;

	if (text == NULL) {
		err("out of memory");
		return -1;
	}
	if ((size_t)str_fmt(path, sizeof path, "%s/%s/settings", dir, name) >= sizeof path) {
		err("%s/%s: path too long", dir, name);
		goto out;
	}
	rc = store_read(path, text, STORE_MAX_SETTINGS, &len);
	if (rc == 1)
		err("%s: missing; is %s/%s a picoacme certificate?", path, dir, name);
	if (rc != 0)
		goto out;
	ret = settings_parse(s, text, len, path);
out:
	free(text);
	return ret;
}
